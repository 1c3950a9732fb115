// One actor per socket: the protocol's phase state machine.
#pragma once

#include <caf/fwd.hpp>

#include "relay/actors/relay_core.hpp"

namespace relay::detail {

caf::actor spawn_connection_actor(caf::actor_system& sys, relay_core core, transport_ptr io, std::string client_ip);

}  // namespace relay::detail
