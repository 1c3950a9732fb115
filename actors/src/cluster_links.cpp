// Registry actor, cluster half (see cluster_links.hpp): the links to other
// nodes' registries, and the handlers of the messages they exchange.
#include "cluster_links.hpp"

#include <algorithm>
#include <tuple>
#include <utility>

#include <caf/all.hpp>

#include "frame_formats.hpp"
#include "registry_actor.hpp"
#include "relay/actors/messages.hpp"
#include "relay/protocol/binary_codec.hpp"

namespace relay::detail {

void cluster_links::peer_up(const std::string& node, caf::actor registry, std::uint64_t backlog_cap) {
  peers_.insert_or_assign(node, peer{std::move(registry), peer_credit{backlog_cap}, 0});
}

std::vector<protocol::fingerprint> cluster_links::peer_down(const std::string& node) {
  peers_.erase(node);
  return forget_node(node);
}

std::uint64_t cluster_links::received(const std::string& node, std::uint64_t bytes, caf::actor& ack_to) {
  auto p = peers_.find(node);
  if (p == peers_.end()) return 0;
  p->second.unacked_in += bytes;
  if (p->second.unacked_in < ack_every_bytes) return 0;
  ack_to = p->second.registry;
  return std::exchange(p->second.unacked_in, 0);
}

void cluster_links::acknowledged(const std::string& node, std::uint64_t bytes) {
  if (auto p = peers_.find(node); p != peers_.end()) p->second.credit.acknowledged(bytes);
}

bool cluster_links::add_remote(const std::string& node, const protocol::fingerprint& fp) {
  auto& nodes = remote_[fp];
  if (std::find(nodes.begin(), nodes.end(), node) != nodes.end()) return false;
  nodes.push_back(node);
  return nodes.size() == 1;
}

bool cluster_links::forget_remote(const std::string& node, const protocol::fingerprint& fp) {
  auto it = remote_.find(fp);
  if (it == remote_.end()) return false;
  std::erase(it->second, node);
  if (!it->second.empty()) return false;
  remote_.erase(it);
  return true;
}

std::vector<protocol::fingerprint> cluster_links::forget_node(const std::string& node, const fingerprint_set& keep) {
  std::vector<protocol::fingerprint> gone;
  for (auto it = remote_.begin(); it != remote_.end();) {
    if (!keep.count(it->first)) std::erase(it->second, node);
    if (it->second.empty()) {
      gone.push_back(it->first);
      it = remote_.erase(it);
    } else {
      ++it;
    }
  }
  return gone;
}

template <class Atom>
void cluster_links::announce(caf::event_based_actor* self, Atom atom, const protocol::fingerprint& fp) const {
  for (const auto& [name, p] : peers_)
    if (p.registry) self->send(p.registry, atom, node_name, fp);
}

void cluster_links::announce_up(caf::event_based_actor* self, const protocol::fingerprint& fp) const {
  announce(self, fp_up_atom::value, fp);
}

void cluster_links::announce_down(caf::event_based_actor* self, const protocol::fingerprint& fp) const {
  announce(self, fp_down_atom::value, fp);
}

void cluster_links::forward(caf::event_based_actor* self, const protocol::fingerprint& source,
                            const protocol::fingerprint& destination, const shared_frame& frame,
                            relay_stats& stats) {
  auto holders = remote_.find(destination);
  if (holders == remote_.end()) return;  // the other nodes lost it meanwhile
  wire_envelope env{destination, *frame};
  auto size = env.message.size();
  for (const auto& node : holders->second) {
    auto p = peers_.find(node);
    if (p == peers_.end() || !p->second.registry) continue;
    if (!p->second.credit.admit(source, size)) {
      // A slow or stuck peer must not grow our memory: drop (the heaviest
      // senders' frames first), and count.
      stats.cluster_dropped.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    stats.cluster_forwarded.fetch_add(1, std::memory_order_relaxed);
    self->send(p->second.registry, cluster_deliver_atom::value, node_name, env);
  }
}

caf::message_handler cluster_link_handlers(caf::stateful_actor<registry_state>* self,
                                           std::shared_ptr<const relay_config> cfg,
                                           std::shared_ptr<relay_stats> stats) {
  return {
    // A sender's frame for a fingerprint other nodes hold.
    [=](forward_atom, const protocol::fingerprint& destination, const shared_frame& frame) {
      auto& st = self->state;
      // The sending member's identity, for fair shares of a full backlog.
      protocol::fingerprint source{};
      if (auto sender = self->current_sender())
        if (auto fp = st.local.fingerprint_of(sender->address())) source = *fp;
      st.cluster.forward(self, source, destination, frame, *stats);
    },
    [=](cluster_init_atom, const std::string& node_name) { self->state.cluster.node_name = node_name; },
    [=](peer_up_atom, const std::string& node, const caf::actor& remote_registry) {
      auto& st = self->state;
      st.cluster.peer_up(node, remote_registry, cfg->max_peer_backlog_bytes);
      stats->cluster_peers.store(st.cluster.peer_count(), std::memory_order_relaxed);
      // Resynchronise: the peer learns everything this node holds now.
      self->send(remote_registry, fp_snapshot_atom::value, st.cluster.node_name, st.local.held());
    },
    [=](peer_down_atom, const std::string& node) {
      auto& st = self->state;
      for (const auto& fp : st.cluster.peer_down(node)) st.publish(fp);
      stats->cluster_peers.store(st.cluster.peer_count(), std::memory_order_relaxed);
    },
    [=](fp_snapshot_atom, const std::string& node, const std::vector<protocol::fingerprint>& held) {
      // Routes the node keeps stay published throughout: add the new ones
      // first, then forget those it no longer holds.
      auto& st = self->state;
      fingerprint_set now_held;
      for (const auto& fp : held)
        if (now_held.insert(fp).second && st.cluster.add_remote(node, fp)) st.publish(fp);
      for (const auto& fp : st.cluster.forget_node(node, now_held)) st.publish(fp);
    },
    [=](fp_up_atom, const std::string& node, const protocol::fingerprint& fp) {
      auto& st = self->state;
      if (st.cluster.add_remote(node, fp)) st.publish(fp);
    },
    [=](fp_down_atom, const std::string& node, const protocol::fingerprint& fp) {
      auto& st = self->state;
      if (st.cluster.forget_remote(node, fp)) st.publish(fp);
    },
    [=](cluster_deliver_atom, const std::string& node, const wire_envelope& env) {
      auto& st = self->state;
      stats->cluster_received.fetch_add(1, std::memory_order_relaxed);
      caf::actor ack_to;
      if (auto bytes = st.cluster.received(node, env.message.size(), ack_to))
        self->send(ack_to, cluster_ack_atom::value, st.cluster.node_name, bytes);
      protocol::message msg;
      if (protocol::decode_binary(env.message, msg) != protocol::decode_error::none) return;
      // Already in the binary format; JSON devices share one transcoded frame.
      frame_formats frames{make_frame(env.message), wire_format::binary, *stats, &msg};
      if (auto r = st.routes->find(env.destination)) deliver_locally(*r, frames, *stats);
    },
    // Another node's claim: is fp connected here? Empty identity bytes are a
    // service registered without any.
    [=](remote_presence_atom, const protocol::fingerprint& fp) -> std::tuple<bool, std::string> {
      auto c = self->state.local.any_connection(fp);
      if (!c) return {false, {}};
      return {true, c->identity ? std::string(c->identity->begin(), c->identity->end()) : std::string{}};
    },
    [=](cluster_ack_atom, const std::string& node, std::uint64_t bytes) {
      self->state.cluster.acknowledged(node, bytes);
    },
  };
}

}  // namespace relay::detail
