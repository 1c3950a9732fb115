#include "relay/actors/relay_core.hpp"

#include <caf/all.hpp>

#include "connection_actor.hpp"
#include "registry_actor.hpp"
#include "relay/protocol/crypto.hpp"
#include "relay/actors/observer_port.hpp"
#include "relay/actors/rate_limits.hpp"
#include "rendezvous_actor.hpp"
#include "route_table.hpp"
#include "service_gateway.hpp"
#include "timer_actor.hpp"

namespace relay {

relay_core spawn_relay_core(caf::actor_system& sys, relay_config cfg, relay_extensions ext) {
  protocol::crypto_init();
  relay_core core;
  core.admission_policy = std::move(ext.admission_policy);
  if (ext.observer) core.observer = std::make_shared<observer_port>(std::move(ext.observer), ext.observer_max_pending);
  core.config = std::make_shared<const relay_config>(cfg);
  core.limits = std::make_shared<ip_limits>(cfg);
  core.stats = std::make_shared<relay_stats>();
  core.rendezvous = detail::spawn_rendezvous(sys, core.config, core.stats);
  core.routes = std::make_shared<detail::route_table>();
  core.registry = detail::spawn_registry(sys, core.config, core.stats, core.routes);
  core.timers = detail::spawn_timer_actor(sys);
  return core;
}

caf::actor spawn_connection(caf::actor_system& sys, const relay_core& core, transport_ptr io, std::string client_ip) {
  return detail::spawn_connection_actor(sys, core, std::move(io), std::move(client_ip));
}

caf::actor register_service(caf::actor_system& sys, const relay_core& core, const protocol::fingerprint& fp,
                            protocol::byte_vector identity, caf::actor service) {
  return detail::spawn_service_gateway(sys, core, fp, std::move(identity), std::move(service));
}

void shutdown_relay_core(const relay_core& core) {
  caf::anon_send_exit(core.registry, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(core.rendezvous, caf::exit_reason::user_shutdown);
  if (core.timers) caf::anon_send_exit(core.timers, caf::exit_reason::user_shutdown);
  // The actor system waits for every actor at exit: the cluster actor's
  // reconnect timer would keep it alive forever.
  if (core.cluster) caf::anon_send_exit(core.cluster, caf::exit_reason::user_shutdown);
}

}  // namespace relay
