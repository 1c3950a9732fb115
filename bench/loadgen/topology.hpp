// Who is who: identities (deterministic Ed25519 keys, generated before
// anything is timed), which identity each connection authenticates as,
// where it sends and whose messages it receives. Connections of one group
// (a pair, a self-sender, a sender with its K devices) always share an
// io thread, so their flow-control counters need no synchronisation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "options.hpp"
#include "relay/protocol/keys.hpp"

namespace relay::bench {

inline constexpr std::uint32_t none = 0xFFFFFFFFu;

struct identity_info {
  protocol::identity_key_pair key;
  protocol::byte_vector cose_key;  ///< what the client sends as its identity
  protocol::fingerprint fp{};
};

struct conn_plan {
  std::uint32_t identity = 0;       ///< index into topology::identities
  std::uint32_t destination = none;  ///< identity it sends to; none = it does not send
  std::uint32_t sender = none;       ///< connection whose messages it receives
  std::uint32_t group = 0;
};

struct topology {
  std::vector<identity_info> identities;
  std::vector<conn_plan> conns;
  std::uint32_t groups = 0;
  std::uint32_t senders = 0;
};

/// Builds the layout for `o` (auth-only and idle runs use the same layout
/// but send nothing).
topology build_topology(const options& o);

}  // namespace relay::bench
