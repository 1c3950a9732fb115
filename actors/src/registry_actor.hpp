// The registry: fingerprint -> the connection actors authenticated as it,
// published in `routes` for every sender to read.
#pragma once

#include <caf/fwd.hpp>

#include "relay/actors/relay_core.hpp"
#include "route_table.hpp"

namespace relay::detail {

caf::actor spawn_registry(caf::actor_system& sys, std::shared_ptr<const relay_config> cfg,
                          std::shared_ptr<relay_stats> stats, std::shared_ptr<route_table> routes);

}  // namespace relay::detail
