// The relay's wire messages, one struct per serde enum variant of the Rust
// reference's `Messages` type. Both directions live in one variant so the
// relay and the client library share a single codec.
#pragma once

#include <optional>
#include <string>
#include <variant>

#include "relay/protocol/types.hpp"

namespace relay::protocol {

/// The rendezvous variants exist in two spellings: the seed-era crate's
/// `GetRendevouz`/`RendevouzInfo` and the newer `GetRendezvous`/
/// `RendezvousInfo`. A reply always uses the spelling of its request.
enum class spelling : std::uint8_t {
  seed,     ///< GetRendevouz / RendevouzInfo (ap-proxy-protocol)
  current,  ///< GetRendezvous / RendezvousInfo (ap-relay-protocol)
};

/// relay -> client: `{"AuthChallenge":[32 ints]}`
struct auth_challenge {
  challenge value{};
};

/// An identity as sent on the wire: the COSE_Key bytes, exactly as the
/// client produced them (the relay echoes them byte for byte).
struct identity {
  byte_vector cose_key_bytes;
};

/// client -> relay: `{"AuthResponse":[{"cose_key_bytes":[..]},{"cose_sign1_bytes":[..]}]}`
struct auth_response {
  identity id;
  byte_vector cose_sign1_bytes;
};

/// client -> relay: `"GetRendezvous"` (or the seed spelling)
struct get_rendezvous {
  spelling variant = spelling::current;
};

/// relay -> client: `{"RendezvousInfo":{"code":".."}}` (or the seed spelling)
struct rendezvous_info {
  spelling variant = spelling::current;
  std::string code;
};

/// client -> relay: `{"GetIdentity":{"code":".."}}`
struct get_identity {
  std::string code;
};

/// relay -> client: `{"IdentityInfo":{"fingerprint":[..],"identity":{"cose_key_bytes":[..]}}}`
struct identity_info {
  fingerprint fp{};
  identity id;
};

/// Both directions: `{"Send":{"source":[..],"destination":[..],"payload":[..]}}`.
/// Clients omit `source` (or send null); the relay always sets it to the
/// sender's authenticated fingerprint when forwarding.
struct send {
  std::optional<fingerprint> source;
  fingerprint destination{};
  byte_vector payload;
};

using message = std::variant<auth_challenge, auth_response, get_rendezvous, rendezvous_info,
                             get_identity, identity_info, send>;

}  // namespace relay::protocol
