// Spawning the relay's actors. `relay_core` is what a transport (the
// WebSocket listener, or an embedding program) needs to attach connections.
#pragma once

#include <memory>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "relay/actors/config.hpp"
#include "relay/actors/extensions.hpp"
#include "relay/actors/stats.hpp"
#include "relay/actors/transport.hpp"

namespace relay {

class observer_port;
class ip_limits;
namespace detail {
class route_table;
}

struct relay_core {
  caf::actor registry;    ///< fingerprint -> connections; forwards frames to other nodes
  caf::actor rendezvous;  ///< live codes; issue and single-use claim
  std::shared_ptr<const relay_config> config;
  std::shared_ptr<relay_stats> stats;
  caf::actor cluster;                       ///< this node's cluster actor; empty when single-node
  caf::actor admission_policy;              ///< may be empty
  std::shared_ptr<observer_port> observer;  ///< may be null
  std::shared_ptr<ip_limits> limits;        ///< per-client-IP budgets
  caf::actor timers;                        ///< connections' auth and idle deadlines (may be empty)
  /// The registry's routes, which every sender reads to deliver its own
  /// Sends (internal: written by the registry actor only).
  std::shared_ptr<detail::route_table> routes;
};

/// Spawns the registry and rendezvous actors in `sys`.
relay_core spawn_relay_core(caf::actor_system& sys, relay_config cfg, relay_extensions ext = {});

/// Registers `service` under `fp` (see extensions.hpp). `identity` is the
/// COSE_Key returned to peers that claim a code of this identity (may be
/// empty). Returns the gateway actor; it lives as long as `service` does.
caf::actor register_service(caf::actor_system& sys, const relay_core& core,
                            const protocol::fingerprint& fp, protocol::byte_vector identity,
                            caf::actor service);

/// Spawns the connection actor for a freshly upgraded socket: it sends the
/// challenge at once and drives the connection until either side closes.
/// `client_ip` keys the per-IP limits (failed auths, claims).
caf::actor spawn_connection(caf::actor_system& sys, const relay_core& core, transport_ptr io,
                            std::string client_ip = {});

/// Stops the core's actors (their connections are closed by their transports).
void shutdown_relay_core(const relay_core& core);

}  // namespace relay
