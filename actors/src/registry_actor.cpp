// Registry actor, local half: the owner of who is connected to this node.
// It monitors every member, so a connection that closes or crashes stops
// being routable the moment its down message arrives, and it publishes each
// fingerprint's routes in the route table (route_table.hpp), from which
// senders deliver their own Sends to local devices. It is not on the path of
// a local Send.
//
// The cluster half (cluster_links.cpp) runs in the same actor; this file
// tells it when a fingerprint gets its first or loses its last connection
// here, and publishes the remote flag it keeps along with the local routes.
#include "registry_actor.hpp"

#include <algorithm>

#include <caf/all.hpp>

#include "relay/actors/messages.hpp"

namespace relay::detail {

local_members::join_result local_members::join(const protocol::fingerprint& fp, identity_bytes identity,
                                               const caf::actor& conn, transport_ptr io, std::size_t cap) {
  auto [entry, added] = members_.try_emplace(fp);
  auto& member = entry->second;
  if (member.connections.size() >= cap) {
    // A cap of 0 refuses even the first: no empty member may stay behind,
    // or held() would announce fp to peers with nobody connected.
    if (added) members_.erase(entry);
    return join_result::refused;
  }
  bool first = member.connections.empty();
  member.connections.push_back({conn, std::move(io), std::move(identity)});
  fingerprint_of_.emplace(conn.address(), fp);
  return first ? join_result::first : join_result::another;
}

std::optional<local_members::left> local_members::leave(const caf::actor_addr& who) {
  auto it = fingerprint_of_.find(who);
  if (it == fingerprint_of_.end()) return std::nullopt;
  auto fp = it->second;
  fingerprint_of_.erase(it);
  auto member = members_.find(fp);
  if (member == members_.end()) return std::nullopt;
  auto& conns = member->second.connections;
  std::erase_if(conns, [&](const connection& c) { return c.actor.address() == who; });
  bool last = conns.empty();
  if (last) members_.erase(member);
  return left{fp, last};
}

const local_members::connection* local_members::any_connection(const protocol::fingerprint& fp) const {
  auto it = members_.find(fp);
  if (it == members_.end() || it->second.connections.empty()) return nullptr;
  return &it->second.connections.front();
}

std::optional<protocol::fingerprint> local_members::fingerprint_of(const caf::actor_addr& who) const {
  auto it = fingerprint_of_.find(who);
  if (it == fingerprint_of_.end()) return std::nullopt;
  return it->second;
}

std::vector<protocol::fingerprint> local_members::held() const {
  std::vector<protocol::fingerprint> out;
  out.reserve(members_.size());
  for (const auto& [fp, m] : members_) out.push_back(fp);
  return out;
}

std::vector<route_table::endpoint> local_members::endpoints(const protocol::fingerprint& fp) const {
  std::vector<route_table::endpoint> out;
  if (auto m = members_.find(fp); m != members_.end())
    for (const auto& c : m->second.connections) out.push_back({c.io, c.io ? caf::actor{} : c.actor});
  return out;
}

void registry_state::publish(const protocol::fingerprint& fp) {
  auto r = std::make_shared<route_table::routes>();
  r->local = local.endpoints(fp);
  r->remote = cluster.held_remotely(fp);
  routes->publish(fp, std::move(r));
}

namespace {

using self_ptr = caf::stateful_actor<registry_state>*;

caf::behavior registry_actor(self_ptr self, std::shared_ptr<const relay_config> cfg,
                             std::shared_ptr<relay_stats> stats, std::shared_ptr<route_table> routes) {
  self->state.routes = std::move(routes);
  self->set_down_handler([=](caf::down_msg& down) {
    auto& st = self->state;
    auto gone = st.local.leave(down.source);
    if (!gone) return;
    st.publish(gone->fp);
    if (gone->last) st.cluster.announce_down(self, gone->fp);
  });
  caf::message_handler local{
    [=](join_atom, const protocol::fingerprint& fp, const identity_bytes& identity, const caf::actor& conn,
        const transport_ptr& io) -> caf::result<caf::atom_value> {
      auto& st = self->state;
      auto joined = st.local.join(fp, identity, conn, io, cfg->max_connections_per_identity);
      if (joined == local_members::join_result::refused) {
        stats->joins_refused.fetch_add(1, std::memory_order_relaxed);
        return caf::make_error(caf::sec::runtime_error, "too many connections for this identity");
      }
      self->monitor(conn);
      // Routable everywhere before the member hears "ok" and sends anything.
      st.publish(fp);
      if (joined == local_members::join_result::first) st.cluster.announce_up(self, fp);
      return caf::atom("ok");
    },
    // Asked when one of fp's codes is claimed: the code holds no identity.
    [=](presence_atom, const protocol::fingerprint& fp) -> identity_bytes {
      auto c = self->state.local.any_connection(fp);
      return c ? c->identity : nullptr;
    },
  };
  // One behaviour, one mailbox: the cluster's messages are handled in turn
  // with the local ones (see registry_actor.hpp).
  return local.or_else(cluster_link_handlers(self, std::move(cfg), std::move(stats)));
}

}  // namespace

caf::actor spawn_registry(caf::actor_system& sys, std::shared_ptr<const relay_config> cfg,
                          std::shared_ptr<relay_stats> stats, std::shared_ptr<route_table> routes) {
  return sys.spawn(registry_actor, std::move(cfg), std::move(stats), std::move(routes));
}

}  // namespace relay::detail
