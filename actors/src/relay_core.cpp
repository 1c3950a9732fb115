#include "relay/actors/relay_core.hpp"

#include <caf/all.hpp>

#include "connection_actor.hpp"
#include "registry_actor.hpp"
#include "relay/protocol/crypto.hpp"
#include "rendezvous_actor.hpp"

namespace relay {

relay_core spawn_relay_core(caf::actor_system& sys, relay_config cfg) {
  protocol::crypto_init();
  relay_core core;
  core.config = std::make_shared<const relay_config>(cfg);
  core.stats = std::make_shared<relay_stats>();
  core.rendezvous = detail::spawn_rendezvous(sys, core.config, core.stats);
  core.registry = detail::spawn_registry(sys, core.rendezvous, core.config, core.stats);
  return core;
}

caf::actor spawn_connection(caf::actor_system& sys, const relay_core& core, transport_ptr io) {
  return detail::spawn_connection_actor(sys, core, std::move(io));
}

void shutdown_relay_core(const relay_core& core) {
  caf::anon_send_exit(core.registry, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(core.rendezvous, caf::exit_reason::user_shutdown);
}

}  // namespace relay
