// Cluster actor: membership of this node in a cluster.
//
// It dials every known node address until connected (configured peers and
// those learned from peers, re-dialled every reconnect_interval while
// unreachable, so a restarted or partitioned node rejoins by itself), greets
// each new peer with `hello` (both sides learn names, registries, rendezvous
// actors and the addresses the other knows), monitors it, and tells the
// local registry about peers coming and going. It also answers claims that
// missed the local rendezvous actor by asking every peer's, and asks every
// peer's registry whether a claimed code's owner is connected there. On a
// graceful stop it tells every peer it leaves (`pleave`), so they purge its
// routes at once instead of waiting for the link to close or time out.
#include <map>
#include <optional>
#include <set>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "cluster_identity.hpp"
#include "relay/actors/cluster.hpp"
#include "relay/actors/messages.hpp"
#include "relay/log.hpp"
#include "relay/protocol/cose.hpp"

namespace relay {

namespace {

struct cluster_state {
  struct peer {
    caf::actor cluster;
    caf::actor registry;
    caf::actor rendezvous;
    std::string address;
  };
  cluster_options opts;
  relay_core core;
  caf::io::middleman_actor mm;
  std::map<std::string, peer> peers;           // by node name
  std::set<std::string> addresses;             // every node address we want a link to
  std::set<std::string> dialing;               // dials in progress
  std::map<caf::actor_addr, std::string> name_of;
  std::map<std::string, std::string> last_failure;  // address -> last dial error, to log changes only
  // Peers that said they leave, by their cluster actor, with their address:
  // not re-dialled while their link is still up (it closes when they exit).
  std::map<caf::actor_addr, std::string> departed;
  static inline const char* name = "relay.cluster";

  bool departing(const std::string& address) const {
    for (const auto& [who, a] : departed)
      if (a == address) return true;
    return false;
  }

  bool connected_to(const std::string& address) const {
    for (const auto& [n, p] : peers)
      if (p.address == address) return true;
    return false;
  }
  std::vector<std::string> known_addresses() const {
    std::vector<std::string> out(addresses.begin(), addresses.end());
    if (!opts.advertise_address.empty()) out.push_back(opts.advertise_address);
    return out;
  }
};

using self_ptr = caf::stateful_actor<cluster_state>*;

bool split_address(const std::string& address, std::string& host, std::uint16_t& port) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos) return false;
  host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  try {
    auto value = std::stoul(address.substr(colon + 1));
    if (value == 0 || value > 65535) return false;
    port = static_cast<std::uint16_t>(value);
  } catch (...) {
    return false;
  }
  return !host.empty();
}

void learn_addresses(self_ptr self, const std::vector<std::string>& addresses) {
  for (const auto& a : addresses)
    if (!a.empty() && a != self->state.opts.advertise_address) self->state.addresses.insert(a);
}

// A peer's identity answer is accepted only if it is bounded and really is
// the owner's key (a COSE_Key whose public key hashes to the fingerprint);
// empty is a service registered without identity bytes.
constexpr std::size_t max_peer_identity_bytes = 8 * 1024;  // an ML-DSA-65 COSE_Key is ~2 KB

std::optional<identity_bytes> identity_for(const protocol::fingerprint& owner, const std::string& wire) {
  if (wire.size() > max_peer_identity_bytes) return std::nullopt;
  protocol::byte_vector bytes(wire.begin(), wire.end());
  if (!bytes.empty()) {
    auto key = protocol::parse_identity_key(bytes);
    if (!key || protocol::fingerprint_of(*key) != owner) return std::nullopt;
  }
  return std::make_shared<const protocol::byte_vector>(std::move(bytes));
}

// Sends `xs...` to one actor of every peer (`whom`), each bounded by the
// claim timeout, and delivers the first (true, Value) reply that `accept`
// turns into a Result; Result{} once all replied otherwise or timed out.
template <class Result, class Value, class Accept, class... Ts>
caf::result<Result> first_yes_from_peers(self_ptr self, caf::actor cluster_state::peer::*whom, Accept accept,
                                         const Ts&... xs) {
  auto& st = self->state;
  if (st.peers.empty()) return Result{};
  auto promise = self->make_response_promise<Result>();
  auto pending = std::make_shared<std::size_t>(st.peers.size());
  auto answered = std::make_shared<bool>(false);
  auto finish_one = [=]() mutable {
    if (--*pending == 0 && !*answered) {
      *answered = true;
      promise.deliver(Result{});
    }
  };
  for (const auto& [name, p] : st.peers)
    self->request(p.*whom, st.opts.claim_timeout, xs...)
      .then(
        [=](bool yes, const Value& value) mutable {
          if (yes && !*answered) {
            if (std::optional<Result> r = accept(value)) {
              *answered = true;
              promise.deliver(std::move(*r));
            }
          }
          finish_one();
        },
        [=](const caf::error&) mutable { finish_one(); });
  return promise;
}

// After `leave`: nothing is dialled or greeted any more (a hello gets an
// error), the process is about to exit.
caf::behavior leaving(self_ptr self) {
  self->set_default_handler([](caf::scheduled_actor*, caf::message_view&) -> caf::result<caf::message> {
    return caf::make_error(caf::sec::runtime_error, "node is leaving the cluster");
  });
  return {
    [=](tick_atom) {},
    [=](leave_atom) { return caf::atom("ok"); },
  };
}

void add_peer(self_ptr self, const std::string& name, const std::string& address, const caf::actor& cluster,
              const caf::actor& registry, const caf::actor& rendezvous) {
  auto& st = self->state;
  if (name == st.opts.node_name) return;
  auto existing = st.peers.find(name);
  if (existing != st.peers.end()) {
    if (existing->second.cluster == cluster) {
      // Greeted again by the same incarnation: both sides dialled at once,
      // or it saw its link to us fail and purged our routes while we saw
      // nothing (we were stalled past its timeouts). Either way its
      // registry gets our routes again and its credit starts afresh (frames
      // in flight on a failed link are never acknowledged).
      self->send(st.core.registry, peer_up_atom::value, name, registry);
      return;
    }
    // A new incarnation of a node we knew: forget the old one first.
    st.name_of.erase(existing->second.cluster.address());
    self->send(st.core.registry, peer_down_atom::value, name);
  }
  st.peers[name] = cluster_state::peer{cluster, registry, rendezvous, address};
  st.name_of[cluster.address()] = name;
  if (!address.empty()) st.addresses.insert(address);
  self->monitor(cluster);
  self->send(st.core.registry, peer_up_atom::value, name, registry);
  RELAY_LOG(info, "cluster: peer " << name << " joined (" << st.peers.size() << " peer(s))");
}

void dial(self_ptr self, const std::string& address) {
  auto& st = self->state;
  std::string host;
  std::uint16_t port = 0;
  if (!split_address(address, host, port)) {
    RELAY_LOG(warn, "cluster: ignoring malformed peer address '" << address << "'");
    st.addresses.erase(address);
    return;
  }
  if (st.opts.route) {
    // Through the cluster gate's forwarder, which authenticates to the peer.
    auto local = st.opts.route(host, port);
    if (!local) return;
    host = local->first;
    port = local->second;
  }
  st.dialing.insert(address);
  self->request(st.mm, std::chrono::seconds(5), caf::connect_atom::value, host, port)
    .then(
      [=](const caf::node_id& node, const caf::strong_actor_ptr& ptr, const std::set<std::string>&) {
        auto remote = caf::actor_cast<caf::actor>(ptr);
        if (!remote) {
          self->state.dialing.erase(address);
          RELAY_LOG(warn, "cluster: nothing published at " << address << "; is it a relay cluster port?");
          return;
        }
        auto& st = self->state;
        self->request(remote, std::chrono::seconds(5), hello_atom::value, st.opts.node_name,
                      st.opts.advertise_address, caf::actor_cast<caf::actor>(self), st.core.registry,
                      st.core.rendezvous)
          .then(
            [=](const std::string& name, const std::string& their_address, const caf::actor& registry,
                const caf::actor& rendezvous, const std::vector<std::string>& known) {
              check_peer_name(self, self->state.mm, self->state.opts, node, name,
                              [=](const std::optional<std::string>& refusal) {
                                self->state.dialing.erase(address);
                                if (refusal) {
                                  RELAY_LOG(warn, "cluster: refused the answer of " << address << ": " << *refusal);
                                  return;
                                }
                                self->state.last_failure.erase(address);
                                add_peer(self, name, their_address.empty() ? address : their_address, remote,
                                         registry, rendezvous);
                                learn_addresses(self, known);
                              });
            },
            [=](const caf::error& err) {
              self->state.dialing.erase(address);
              RELAY_LOG(warn, "cluster: peer at " << address << " did not answer hello: " << to_string(err));
            });
      },
      [=](const caf::error& err) {
        auto& st = self->state;
        st.dialing.erase(address);
        // A peer that is down is re-dialled every interval: warn when the
        // reason changes (e.g. a TLS refusal), not on every attempt.
        auto why = self->system().render(err);
        auto& last = st.last_failure[address];
        if (last != why) {
          RELAY_LOG(warn, "cluster: cannot join " << address << ": " << why
                                                 << " (retrying; check the address and, with TLS, the certificates)");
          last = why;
        }
      });
}

caf::behavior cluster_actor(self_ptr self, relay_core core, cluster_options opts, caf::io::middleman_actor mm) {
  auto& st = self->state;
  st.core = std::move(core);
  st.mm = std::move(mm);
  st.opts = std::move(opts);
  self->set_down_handler([=](caf::down_msg& down) {
    auto& st = self->state;
    st.departed.erase(down.source);  // its link is gone: a restart may be dialled
    auto it = st.name_of.find(down.source);
    if (it == st.name_of.end()) return;
    auto name = it->second;
    st.name_of.erase(it);
    auto p = st.peers.find(name);
    if (p == st.peers.end() || p->second.cluster.address() != down.source) return;
    st.peers.erase(p);
    self->send(st.core.registry, peer_down_atom::value, name);
    RELAY_LOG(info, "cluster: peer " << name << " lost (" << to_string(down.reason) << "); its routes are purged");
  });
  return {
    // Sent once by start_cluster_node, when the node's name and address are final.
    [=](cluster_init_atom, const std::string& name, const std::string& address) {
      auto& st = self->state;
      st.opts.node_name = name;
      st.opts.advertise_address = address;
      learn_addresses(self, st.opts.peers);
      self->send(st.core.registry, cluster_init_atom::value, name);
      self->send(self, tick_atom::value);
    },
    [=](tick_atom) {
      auto& st = self->state;
      for (const auto& address : std::vector<std::string>(st.addresses.begin(), st.addresses.end()))
        if (!st.connected_to(address) && st.dialing.count(address) == 0 && !st.departing(address))
          dial(self, address);
      self->delayed_send(self, st.opts.reconnect_interval, tick_atom::value);
    },
    [=](hello_atom, const std::string& name, const std::string& address, const caf::actor& cluster,
        const caf::actor& registry, const caf::actor& rendezvous)
      -> caf::result<std::string, std::string, caf::actor, caf::actor, std::vector<std::string>> {
      // Before making the promise: it takes the sender out of the message.
      auto sender = self->current_sender();
      // The cluster actor a node announces must be its own.
      if (!sender || !cluster || cluster.node() != sender->node()) return caf::make_error(caf::sec::invalid_argument);
      auto promise =
        self->make_response_promise<std::string, std::string, caf::actor, caf::actor, std::vector<std::string>>();
      check_peer_name(self, self->state.mm, self->state.opts, sender->node(), name,
                      [=](const std::optional<std::string>& refusal) mutable {
                        if (refusal) {
                          RELAY_LOG(warn, "cluster: refused hello from node '" << name << "': " << *refusal);
                          promise.deliver(caf::make_error(caf::sec::invalid_argument));
                          return;
                        }
                        add_peer(self, name, address, cluster, registry, rendezvous);
                        auto& st = self->state;
                        promise.deliver(st.opts.node_name, st.opts.advertise_address, st.core.registry,
                                        st.core.rendezvous, st.known_addresses());
                      });
      return promise;
    },
    // A claim the local rendezvous actor could not answer: the code may live
    // on another node. Ask all of them; only the issuer can say yes, once.
    [=](cluster_claim_atom, const std::string& code) -> caf::result<claim_result> {
      auto accept = [](const protocol::fingerprint& owner) -> std::optional<claim_result> {
        return claim_result{true, owner};
      };
      return first_yes_from_peers<claim_result, protocol::fingerprint>(self, &cluster_state::peer::rendezvous, accept,
                                                                       remote_claim_atom::value, code);
    },
    // The owner of a claimed code is not connected here: is it anywhere else?
    [=](cluster_presence_atom, const protocol::fingerprint& owner) -> caf::result<identity_bytes> {
      auto accept = [owner](const std::string& identity) { return identity_for(owner, identity); };
      return first_yes_from_peers<identity_bytes, std::string>(self, &cluster_state::peer::registry, accept,
                                                               remote_presence_atom::value, owner);
    },
    // This node stops: tell every peer, wait (bounded) until each heard it.
    [=](leave_atom) -> caf::result<caf::atom_value> {
      auto& st = self->state;
      RELAY_LOG(info, "cluster: leaving, telling " << st.peers.size() << " peer(s)");
      auto promise = self->make_response_promise<caf::atom_value>();
      auto pending = std::make_shared<std::size_t>(st.peers.size());
      auto finish_one = [=]() mutable {
        if (--*pending == 0) promise.deliver(caf::atom("ok"));
      };
      for (const auto& [name, p] : st.peers)
        self->request(p.cluster, st.opts.claim_timeout, peer_leaving_atom::value)
          .then([=](caf::atom_value) mutable { finish_one(); }, [=](const caf::error&) mutable { finish_one(); });
      self->become(leaving(self));
      if (st.peers.empty()) promise.deliver(caf::atom("ok"));
      return promise;
    },
    // A peer leaves gracefully: purge its routes now. It is known by the
    // actor that sent this, never by a name in the message.
    [=](peer_leaving_atom) -> caf::atom_value {
      auto& st = self->state;
      auto sender = caf::actor_cast<caf::actor_addr>(self->current_sender());
      auto it = st.name_of.find(sender);
      if (it == st.name_of.end()) return caf::atom("ok");
      auto p = st.peers.find(it->second);
      if (p == st.peers.end() || p->second.cluster.address() != sender) return caf::atom("ok");
      auto name = p->first;
      st.departed[sender] = p->second.address;
      st.peers.erase(p);
      self->send(st.core.registry, peer_down_atom::value, name);
      RELAY_LOG(info, "cluster: peer " << name << " left (" << st.peers.size() << " peer(s)); its routes are purged");
      return caf::atom("ok");
    },
  };
}

}  // namespace

void add_cluster_message_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<wire_envelope>("relay::wire_envelope");
  // Also registers std::vector<relay::fingerprint> (a peer's snapshot):
  // CAF adds the vector of every type it is given.
  cfg.add_message_type<protocol::fingerprint>("relay::fingerprint");
  cfg.add_message_type<std::vector<std::string>>("std::vector<std::string>");  // addresses in hello
}

caf::actor spawn_cluster_node(caf::actor_system& sys, relay_core& core, cluster_options opts,
                              caf::io::middleman_actor mm) {
  core.cluster = sys.spawn(cluster_actor, core, std::move(opts), std::move(mm));
  return core.cluster;
}

void start_cluster_node(const caf::actor& node, std::string node_name, std::string advertise_address) {
  caf::anon_send(node, cluster_init_atom::value, std::move(node_name), std::move(advertise_address));
}

}  // namespace relay
