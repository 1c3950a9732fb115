// The actor standing between a user's service actor and the registry.
#pragma once

#include <caf/fwd.hpp>

#include "relay/actors/relay_core.hpp"

namespace relay::detail {

caf::actor spawn_service_gateway(caf::actor_system& sys, relay_core core, protocol::fingerprint fp,
                                 protocol::byte_vector identity, caf::actor service);

}  // namespace relay::detail
