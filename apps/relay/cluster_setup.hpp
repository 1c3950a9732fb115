// Turning the cluster flags into a CAF configuration and a published
// cluster actor.
#pragma once

#include <memory>

#include <caf/fwd.hpp>

#include "options.hpp"
#include "relay/actors/relay_core.hpp"

namespace relay::net {
class cluster_gate;
}

namespace relay::app {

/// What a cluster node runs besides its actors: the gate in front of the
/// middleman (relay/net/cluster_gate.hpp). Destroy it before the actor
/// system: it stops the gate's thread and closes every link, then waits for
/// the node's actors and drops the timers still pending (see the .cpp).
struct cluster_runtime {
  std::shared_ptr<net::cluster_gate> gate;
  caf::actor_system* sys = nullptr;
  ~cluster_runtime();
};

/// Loads the middleman and the cluster's message types into `cfg`. Returns
/// false with a message on stderr when the flags are unsafe (a non-loopback
/// cluster port without TLS or a shared secret).
bool configure_cluster(const cluster_flags& flags, caf::actor_system_config& cfg);

/// Spawns the cluster actor into `core`, publishes it on a loopback port and
/// opens the cluster gate on --cluster-listen in front of it (kept in
/// `runtime`). Returns false with a message on stderr when a file is bad or
/// the port cannot be opened.
bool start_cluster(const cluster_flags& flags, caf::actor_system& sys, relay_core& core, cluster_runtime& runtime);

}  // namespace relay::app
