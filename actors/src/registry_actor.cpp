// Registry actor: the owner of who is connected. It monitors every member,
// so a connection that closes or crashes stops being routable the moment its
// down message arrives, and it publishes each fingerprint's routes in the
// route table (route_table.hpp), from which senders deliver their own Sends
// to local devices. It is not on the path of a local Send.
//
// In a cluster it also knows which other nodes hold which fingerprints
// (learned from their registries: a snapshot when a peer joins, then
// up/down events), marks those routes remote, and forwards each frame a
// sender hands it once per node that holds the destination, as a binary
// envelope. Frames from other nodes are only delivered locally, never
// forwarded again, so routes cannot loop.
#include "registry_actor.hpp"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <caf/all.hpp>

#include "frame_formats.hpp"
#include "peer_credit.hpp"
#include "relay/actors/messages.hpp"
#include "relay/log.hpp"
#include "relay/protocol/binary_codec.hpp"
#include "relay/protocol/crypto.hpp"
#include "relay/protocol/json_codec.hpp"

namespace relay::detail {

namespace {
// A receiving registry acknowledges this many bytes at a time, which returns
// the sender's credit for that peer.
constexpr std::uint64_t ack_every_bytes = 256 * 1024;

std::string to_wire(const protocol::fingerprint& fp) { return {fp.begin(), fp.end()}; }

bool from_wire(const std::string& s, protocol::fingerprint& fp) {
  if (s.size() != fp.size()) return false;
  std::copy(s.begin(), s.end(), fp.begin());
  return true;
}
}  // namespace

struct registry_state {
  struct connection {
    caf::actor actor;
    transport_ptr io;  // null for services: they get frames through their actor
    identity_bytes identity;  // what a claim of this member's codes returns
  };
  struct member {
    std::vector<connection> connections;
  };
  struct peer {
    caf::actor registry;
    peer_credit credit;            // bytes we sent it, not yet acknowledged, by sender
    std::uint64_t unacked_in = 0;  // bytes it sent us, not yet acknowledged
  };
  std::unordered_map<protocol::fingerprint, member, protocol::fingerprint_hash> members;
  std::unordered_map<caf::actor_addr, protocol::fingerprint> fingerprint_of;
  // Cluster (all empty on a single node).
  std::string node_name;
  std::unordered_map<std::string, peer> peers;
  std::unordered_map<protocol::fingerprint, std::vector<std::string>, protocol::fingerprint_hash> remote;
  // The read side of members and remote, for senders on every thread.
  std::shared_ptr<route_table> routes;
  static inline const char* name = "relay.registry";

  ~registry_state() {
    if (routes) routes->clear();
  }

  // Publishes fp's routes as members and remote hold them now; called after
  // every change of either, before anything else is handled.
  void publish(const protocol::fingerprint& fp) {
    auto r = std::make_shared<route_table::routes>();
    if (auto m = members.find(fp); m != members.end())
      for (const auto& c : m->second.connections) r->local.push_back({c.io, c.io ? caf::actor{} : c.actor});
    r->remote = remote.count(fp) > 0;
    routes->publish(fp, std::move(r));
  }

  void forget_remote(const std::string& node, const protocol::fingerprint& fp) {
    auto it = remote.find(fp);
    if (it == remote.end()) return;
    std::erase(it->second, node);
    if (it->second.empty()) {
      remote.erase(it);
      publish(fp);
    }
  }

  // Forgets every route of `node` except those in `keep`.
  void forget_node(const std::string& node,
                   const std::unordered_set<protocol::fingerprint, protocol::fingerprint_hash>& keep = {}) {
    std::vector<protocol::fingerprint> gone;
    for (auto it = remote.begin(); it != remote.end();) {
      if (!keep.count(it->first)) std::erase(it->second, node);
      if (it->second.empty()) {
        gone.push_back(it->first);
        it = remote.erase(it);
      } else {
        ++it;
      }
    }
    for (const auto& fp : gone) publish(fp);
  }

  void add_remote(const std::string& node, const protocol::fingerprint& fp) {
    auto& nodes = remote[fp];
    if (std::find(nodes.begin(), nodes.end(), node) != nodes.end()) return;
    nodes.push_back(node);
    if (nodes.size() == 1) publish(fp);
  }

  // Tells every peer that this node now holds (or no longer holds) `fp`.
  template <class Atom>
  void announce(caf::event_based_actor* self, Atom atom, const protocol::fingerprint& fp) {
    for (auto& [name, p] : peers)
      if (p.registry) self->send(p.registry, atom, node_name, to_wire(fp));
  }
};

namespace {

using self_ptr = caf::stateful_actor<registry_state>*;

// Sends `frame` (binary codec) from `source` for `destination` to every
// other node that holds it.
void forward_to_nodes(self_ptr self, const protocol::fingerprint& source, const protocol::fingerprint& destination,
                      const shared_frame& frame, const std::vector<std::string>& nodes, relay_stats& stats) {
  wire_envelope env{to_wire(destination), *frame};
  auto size = env.message.size();
  for (const auto& node : nodes) {
    auto p = self->state.peers.find(node);
    if (p == self->state.peers.end() || !p->second.registry) continue;
    if (!p->second.credit.admit(source, size)) {
      // A slow or stuck peer must not grow our memory: drop (the heaviest
      // senders' frames first), and count.
      stats.cluster_dropped.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    stats.cluster_forwarded.fetch_add(1, std::memory_order_relaxed);
    self->send(p->second.registry, cluster_deliver_atom::value, self->state.node_name, env);
  }
}

caf::behavior registry_actor(self_ptr self, std::shared_ptr<const relay_config> cfg,
                             std::shared_ptr<relay_stats> stats, std::shared_ptr<route_table> routes) {
  self->state.routes = std::move(routes);
  self->set_down_handler([=](caf::down_msg& down) {
    auto& st = self->state;
    auto it = st.fingerprint_of.find(down.source);
    if (it == st.fingerprint_of.end()) return;
    auto fp = it->second;
    st.fingerprint_of.erase(it);
    auto member = st.members.find(fp);
    if (member == st.members.end()) return;
    auto& conns = member->second.connections;
    std::erase_if(conns, [&](const registry_state::connection& c) { return c.actor.address() == down.source; });
    bool last = conns.empty();
    if (last) st.members.erase(member);
    st.publish(fp);
    if (last) st.announce(self, fp_down_atom::value, fp);
  });
  return {
    [=](join_atom, const protocol::fingerprint& fp, const identity_bytes& identity, const caf::actor& conn,
        const transport_ptr& io) -> caf::result<caf::atom_value> {
      auto& st = self->state;
      auto& member = st.members[fp];
      if (member.connections.size() >= cfg->max_connections_per_identity) {
        stats->joins_refused.fetch_add(1, std::memory_order_relaxed);
        return caf::make_error(caf::sec::runtime_error, "too many connections for this identity");
      }
      bool first = member.connections.empty();
      member.connections.push_back({conn, io, identity});
      st.fingerprint_of.emplace(conn.address(), fp);
      self->monitor(conn);
      // Routable everywhere before the member hears "ok" and sends anything.
      st.publish(fp);
      if (first) st.announce(self, fp_up_atom::value, fp);
      return caf::atom("ok");
    },
    // Asked when one of fp's codes is claimed: the code holds no identity.
    [=](presence_atom, const protocol::fingerprint& fp) -> identity_bytes {
      auto it = self->state.members.find(fp);
      if (it == self->state.members.end() || it->second.connections.empty()) return nullptr;
      return it->second.connections.front().identity;
    },
    [=](forward_atom, const protocol::fingerprint& destination, const shared_frame& frame) {
      auto& st = self->state;
      auto remote = st.remote.find(destination);
      if (remote == st.remote.end()) return;  // the other nodes lost it meanwhile
      // The sending member's identity, for fair shares of a full backlog.
      protocol::fingerprint source{};
      if (auto sender = self->current_sender())
        if (auto it = st.fingerprint_of.find(sender->address()); it != st.fingerprint_of.end()) source = it->second;
      forward_to_nodes(self, source, destination, frame, remote->second, *stats);
    },
    // --- cluster ---
    [=](cluster_init_atom, const std::string& node_name) { self->state.node_name = node_name; },
    [=](peer_up_atom, const std::string& node, const caf::actor& remote_registry) {
      auto& st = self->state;
      st.peers.insert_or_assign(node, registry_state::peer{remote_registry, peer_credit{cfg->max_peer_backlog_bytes}, 0});
      stats->cluster_peers.store(st.peers.size(), std::memory_order_relaxed);
      // Resynchronise: the peer learns everything this node holds now.
      std::vector<std::string> held;
      held.reserve(st.members.size());
      for (const auto& [fp, m] : st.members) held.push_back(to_wire(fp));
      self->send(remote_registry, fp_snapshot_atom::value, st.node_name, std::move(held));
    },
    [=](peer_down_atom, const std::string& node) {
      auto& st = self->state;
      st.peers.erase(node);
      st.forget_node(node);
      stats->cluster_peers.store(st.peers.size(), std::memory_order_relaxed);
    },
    [=](fp_snapshot_atom, const std::string& node, const std::vector<std::string>& held) {
      // Routes the node keeps stay published throughout: add the new ones
      // first, then forget those it no longer holds.
      auto& st = self->state;
      std::unordered_set<protocol::fingerprint, protocol::fingerprint_hash> now_held;
      for (const auto& wire : held) {
        protocol::fingerprint fp;
        if (from_wire(wire, fp) && now_held.insert(fp).second) st.add_remote(node, fp);
      }
      st.forget_node(node, now_held);
    },
    [=](fp_up_atom, const std::string& node, const std::string& wire) {
      protocol::fingerprint fp;
      if (from_wire(wire, fp)) self->state.add_remote(node, fp);
    },
    [=](fp_down_atom, const std::string& node, const std::string& wire) {
      protocol::fingerprint fp;
      if (from_wire(wire, fp)) self->state.forget_remote(node, fp);
    },
    [=](cluster_deliver_atom, const std::string& node, const wire_envelope& env) {
      auto& st = self->state;
      stats->cluster_received.fetch_add(1, std::memory_order_relaxed);
      if (auto p = st.peers.find(node); p != st.peers.end()) {
        p->second.unacked_in += env.message.size();
        if (p->second.unacked_in >= ack_every_bytes) {
          self->send(p->second.registry, cluster_ack_atom::value, st.node_name, p->second.unacked_in);
          p->second.unacked_in = 0;
        }
      }
      protocol::fingerprint destination;
      protocol::message msg;
      if (!from_wire(env.destination, destination) ||
          protocol::decode_binary(env.message, msg) != protocol::decode_error::none)
        return;
      // Already in the binary format; JSON devices share one transcoded frame.
      frame_formats frames{make_frame(env.message), wire_format::binary, *stats, &msg};
      if (auto r = st.routes->find(destination)) deliver_locally(*r, frames, *stats);
    },
    // Another node's claim: is fp connected here? Empty identity bytes are a
    // service registered without any.
    [=](remote_presence_atom, const std::string& wire) -> std::tuple<bool, std::string> {
      protocol::fingerprint fp;
      if (!from_wire(wire, fp)) return {false, {}};
      auto it = self->state.members.find(fp);
      if (it == self->state.members.end() || it->second.connections.empty()) return {false, {}};
      const auto& identity = it->second.connections.front().identity;
      return {true, identity ? std::string(identity->begin(), identity->end()) : std::string{}};
    },
    [=](cluster_ack_atom, const std::string& node, std::uint64_t bytes) {
      auto p = self->state.peers.find(node);
      if (p != self->state.peers.end()) p->second.credit.acknowledged(bytes);
    },
  };
}

}  // namespace

caf::actor spawn_registry(caf::actor_system& sys, std::shared_ptr<const relay_config> cfg,
                          std::shared_ptr<relay_stats> stats, std::shared_ptr<route_table> routes) {
  return sys.spawn(registry_actor, std::move(cfg), std::move(stats), std::move(routes));
}

}  // namespace relay::detail
