// Registry actor. It monitors every member, so a connection that closes or
// crashes stops being routable the moment its down message arrives.
// Routing is mailbox forwarding of one shared, already-encoded frame.
#include "registry_actor.hpp"

#include <unordered_map>
#include <vector>

#include <caf/all.hpp>

#include "relay/actors/messages.hpp"
#include "relay/log.hpp"
#include "relay/protocol/crypto.hpp"

namespace relay::detail {

struct registry_state {
  struct member {
    std::vector<caf::actor> connections;
    identity_bytes identity;
  };
  std::unordered_map<protocol::fingerprint, member, protocol::fingerprint_hash> members;
  std::unordered_map<caf::actor_addr, protocol::fingerprint> fingerprint_of;
  static inline const char* name = "relay.registry";
};

static caf::behavior registry_actor(caf::stateful_actor<registry_state>* self, caf::actor rendezvous,
                             std::shared_ptr<const relay_config> cfg,
                             std::shared_ptr<relay_stats> stats) {
  self->set_down_handler([=](caf::down_msg& down) {
    auto& st = self->state;
    auto it = st.fingerprint_of.find(down.source);
    if (it == st.fingerprint_of.end()) return;
    auto fp = it->second;
    st.fingerprint_of.erase(it);
    auto member = st.members.find(fp);
    if (member == st.members.end()) return;
    auto& conns = member->second.connections;
    std::erase_if(conns, [&](const caf::actor& a) { return a.address() == down.source; });
    if (conns.empty()) {
      st.members.erase(member);
      // Codes of an identity that is no longer connected must not be claimable.
      self->send(rendezvous, gone_atom::value, fp);
    }
  });
  return {
    [=](join_atom, const protocol::fingerprint& fp, const identity_bytes& identity,
        const caf::actor& conn) -> caf::result<caf::atom_value> {
      auto& member = self->state.members[fp];
      if (member.connections.size() >= cfg->max_connections_per_identity) {
        if (member.connections.empty()) self->state.members.erase(fp);
        stats->joins_refused.fetch_add(1, std::memory_order_relaxed);
        return caf::make_error(caf::sec::runtime_error, "too many connections for this identity");
      }
      member.connections.push_back(conn);
      member.identity = identity;
      self->state.fingerprint_of.emplace(conn.address(), fp);
      self->monitor(conn);
      return caf::atom("ok");
    },
    [=](route_atom, const protocol::fingerprint& destination, const shared_frame& frame) {
      auto it = self->state.members.find(destination);
      if (it == self->state.members.end()) {
        stats->dropped_no_route.fetch_add(1, std::memory_order_relaxed);
        return;
      }
      for (const auto& conn : it->second.connections) self->send(conn, deliver_atom::value, frame);
      stats->deliveries.fetch_add(it->second.connections.size(), std::memory_order_relaxed);
    },
  };
}

caf::actor spawn_registry(caf::actor_system& sys, caf::actor rendezvous,
                          std::shared_ptr<const relay_config> cfg, std::shared_ptr<relay_stats> stats) {
  return sys.spawn(registry_actor, std::move(rendezvous), std::move(cfg), std::move(stats));
}

}  // namespace relay::detail
