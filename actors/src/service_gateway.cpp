// Service gateway: a registry member like a connection actor, but instead
// of a socket it has a service actor behind it. It decodes the frames the
// senders deliver into typed `service_message`s and encodes the service's
// `service_send`s into frames with the service's fingerprint as source,
// which it routes itself like a connection does.
#include "service_gateway.hpp"

#include <caf/all.hpp>

#include "relay/actors/messages.hpp"
#include "relay/log.hpp"
#include "relay/protocol/json_codec.hpp"
#include "route_table.hpp"

namespace relay::detail {

namespace {

struct gateway_state {
  static inline const char* name = "relay.service-gateway";
};

caf::behavior service_gateway(caf::stateful_actor<gateway_state>* self, relay_core core,
                              protocol::fingerprint fp, protocol::byte_vector identity,
                              caf::actor service) {
  // The gateway lives exactly as long as the service.
  self->monitor(service);
  self->set_down_handler([=](caf::down_msg&) { self->quit(); });
  auto id = std::make_shared<const protocol::byte_vector>(std::move(identity));
  self->request(core.registry, caf::infinite, join_atom::value, fp, id, caf::actor_cast<caf::actor>(self),
                transport_ptr{})
    .await([=](caf::atom_value) { RELAY_LOG(info, "service registered fp=" << protocol::short_hex(fp)); },
           [=](const caf::error&) {
             RELAY_LOG(warn, "service registration refused fp=" << protocol::short_hex(fp));
             self->quit();
           });
  return {
    [=](deliver_atom, const shared_frame& frame) {
      protocol::message msg;
      if (protocol::decode(*frame, msg) != protocol::decode_error::none) return;
      auto* s = std::get_if<protocol::send>(&msg);
      if (s == nullptr) return;  // rendezvous replies are for sockets only
      self->send(service, service_message{s->source.value_or(protocol::fingerprint{}), s->destination,
                                          std::move(s->payload)});
    },
    [=](service_send& out) {
      protocol::message msg = protocol::send{fp, out.destination, std::move(out.payload)};
      core.stats->messages_routed.fetch_add(1, std::memory_order_relaxed);
      route_frame(self, *core.routes, core.registry, *core.stats, out.destination,
                  make_frame(protocol::encode(msg)), wire_format::json, &msg);
    },
  };
}

}  // namespace

caf::actor spawn_service_gateway(caf::actor_system& sys, relay_core core, protocol::fingerprint fp,
                                 protocol::byte_vector identity, caf::actor service) {
  return sys.spawn(service_gateway, std::move(core), fp, std::move(identity), std::move(service));
}

}  // namespace relay::detail
