// The rendezvous actor: live one-time codes and their owners.
#pragma once

#include <caf/fwd.hpp>

#include "relay/actors/relay_core.hpp"

namespace relay::detail {

caf::actor spawn_rendezvous(caf::actor_system& sys, std::shared_ptr<const relay_config> cfg,
                            std::shared_ptr<relay_stats> stats);

}  // namespace relay::detail
