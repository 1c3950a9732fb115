// Turning the cluster flags into a CAF configuration and a published
// cluster actor.
#pragma once

#include <caf/fwd.hpp>

#include "options.hpp"
#include "relay/actors/relay_core.hpp"

namespace relay::app {

/// Loads the middleman (and the OpenSSL manager for TLS) and the cluster's
/// message types into `cfg`. Returns false with a message on stderr when the
/// flags are unsafe (a non-loopback cluster port without TLS).
bool configure_cluster(const cluster_flags& flags, caf::actor_system_config& cfg);

/// Spawns the cluster actor into `core` and publishes it on --cluster-listen.
/// Returns false with a message on stderr when the port cannot be opened.
bool start_cluster(const cluster_flags& flags, caf::actor_system& sys, relay_core& core);

}  // namespace relay::app
