// Extension points: your own actors inside the relay.
//
//  * Service actor: registered under a fingerprint, it receives every Send
//    addressed to that fingerprint as a `service_message` and answers (or
//    sends on its own) with `service_send` to the gateway that delivered it
//    (`self->current_sender()`). The relay signs nothing: the embedding
//    program grants the service its fingerprint (typically the fingerprint of
//    a key pair the service owns, so peers can pair with it by code).
//  * Admission policy: consulted once per connection after its signature
//    checked out: `(admit_atom, fingerprint, key_algorithm)` must answer
//    `admission{true}` to let it in; `admission{false, "reason"}`, an error or
//    no answer within 2 s closes the client with 1008 and the reason.
//  * Observer: receives `observer_event`s (metadata only, never payloads).
//    Events are dropped (and counted) while more than `max_pending` are
//    waiting in the observer's mailbox, so a slow observer costs no memory.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>

#include "relay/protocol/cose.hpp"
#include "relay/protocol/types.hpp"

namespace relay {

/// relay -> service: a Send addressed to the service's fingerprint.
struct service_message {
  protocol::fingerprint source{};       ///< authenticated sender
  protocol::fingerprint destination{};  ///< the service's fingerprint
  protocol::byte_vector payload;
};

/// service -> gateway: deliver `payload` to `destination`, with the service's
/// fingerprint as source.
struct service_send {
  protocol::fingerprint destination{};
  protocol::byte_vector payload;
};

/// policy -> relay: the verdict on one connection.
struct admission {
  bool allowed = false;
  std::string reason;  ///< sent as the close reason when refused (keep it short)
};

using admit_atom = caf::atom_constant<caf::atom("admit")>;

/// One metadata event. `peer` is the remote address; `fp` the identity (zero
/// before authentication); `bytes` the payload size of a routed Send.
struct observer_event {
  enum class kind : std::uint8_t { connected, authenticated, refused, routed, disconnected };
  kind what = kind::connected;
  std::string peer;
  protocol::fingerprint fp{};
  protocol::fingerprint destination{};  ///< for routed
  std::size_t bytes = 0;                ///< for routed: payload bytes
  std::string reason;                   ///< for refused
  /// Keeps the observer's pending count; released when the event is destroyed.
  std::shared_ptr<void> ticket;
};

/// The optional actors a relay core consults. Empty handles mean "none".
struct relay_extensions {
  caf::actor admission_policy;
  caf::actor observer;
  std::size_t observer_max_pending = 10'000;
};

const char* to_string(observer_event::kind k) noexcept;

}  // namespace relay

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::service_message)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::service_send)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::admission)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::observer_event)
