// The registry: fingerprint -> the connection actors authenticated as it.
#pragma once

#include <caf/fwd.hpp>

#include "relay/actors/relay_core.hpp"

namespace relay::detail {

caf::actor spawn_registry(caf::actor_system& sys, std::shared_ptr<const relay_config> cfg,
                          std::shared_ptr<relay_stats> stats);

}  // namespace relay::detail
