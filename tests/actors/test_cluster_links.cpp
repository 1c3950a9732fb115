// The registry's cluster half without a network: the test thread plays the
// cluster actor and the peers' registries, sending the cluster messages a
// peer would, and recording actors stand in for the peers' registries so
// that what this registry sends them can be checked.
#include <catch2/catch.hpp>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "core_harness.hpp"
#include "relay/protocol/binary_codec.hpp"

using namespace relay;
using namespace relay::test;
using fuzz::recording_transport;
using routes_ptr = detail::route_table::routes_ptr;
namespace proto = relay::protocol;

namespace {

// Another node's registry: records every message it gets, in order.
class peer_registry {
 public:
  explicit peer_registry(core_under_test& c) : box_(std::make_shared<box>()) {
    // The box is a spawn argument, not a capture: CAF 0.17's spawn of a
    // function actor without arguments binds a reference to a null tuple.
    actor = c.sys->spawn([](caf::event_based_actor* self, std::shared_ptr<box> b) -> caf::behavior {
      self->set_default_handler([b](caf::scheduled_actor*, caf::message_view& x) -> caf::result<caf::message> {
        std::lock_guard lock{b->mutex};
        b->got.push_back(x.copy_content_to_message());
        b->changed.notify_all();
        return caf::message{};
      });
      return {[](tick_atom) {}};
    }, box_);
    c.members.push_back(actor);  // killed with the core
  }

  caf::actor actor;

  /// The messages (Atom, Ts...) received so far, in order.
  template <class Atom, class... Ts>
  std::vector<caf::message> received() const {
    std::lock_guard lock{box_->mutex};
    std::vector<caf::message> out;
    for (const auto& m : box_->got)
      if (is<Atom, Ts...>(m)) out.push_back(m);
    return out;
  }

  /// Returns once everything sent to this peer before the call has been
  /// recorded (one mailbox, first in first out), so that a count is final.
  void drain(caf::scoped_actor& self) {
    auto n = ++markers_;
    self->send(actor, caf::atom("marker"), n);
    std::unique_lock lock{box_->mutex};
    REQUIRE(box_->changed.wait_for(lock, wait_limit, [&] {
      return std::any_of(box_->got.begin(), box_->got.end(), [n](const caf::message& m) {
        return m.match_elements<caf::atom_value, std::uint64_t>() && m.get_as<std::uint64_t>(1) == n;
      });
    }));
  }

 private:
  template <class Atom, class... Ts>
  static bool is(const caf::message& m) {
    // Atom constants match as any atom: compare the value too.
    return m.match_elements<caf::atom_value, Ts...>() && m.get_as<caf::atom_value>(0) == Atom::value;
  }

  struct box {
    mutable std::mutex mutex;
    std::condition_variable changed;
    std::vector<caf::message> got;
  };
  std::shared_ptr<box> box_;
  std::uint64_t markers_ = 0;
};

std::set<proto::fingerprint> snapshot_of(const caf::message& m) {
  std::set<proto::fingerprint> out;
  for (const auto& fp : m.get_as<std::vector<proto::fingerprint>>(2)) out.insert(fp);
  return out;
}

// The fingerprints in the (fpup or fpdown) messages `got`, in order; each
// from node `from`.
std::vector<proto::fingerprint> fps_of(const std::vector<caf::message>& got, const std::string& from) {
  std::vector<proto::fingerprint> out;
  for (const auto& m : got) {
    CHECK(m.get_as<std::string>(1) == from);
    out.push_back(m.get_as<proto::fingerprint>(2));
  }
  return out;
}

// This node ("n1") in a cluster with the given peers: the messages the
// cluster actor sends the registry when links come up.
void join_cluster(caf::scoped_actor& self, const caf::actor& registry,
                  std::initializer_list<std::pair<std::string, const peer_registry*>> peers) {
  self->send(registry, cluster_init_atom::value, std::string{"n1"});
  for (const auto& [name, p] : peers) self->send(registry, peer_up_atom::value, name, p->actor);
}

bool remote_only(const routes_ptr& r) { return r && r->remote && r->local.empty(); }

std::string binary_send(const proto::fingerprint& to, std::size_t payload_size) {
  return proto::encode_binary(proto::send{fp_of(99), to, proto::byte_vector(payload_size, 0x5a)});
}

}  // namespace

TEST_CASE("cluster links: a peer_up sends the peer a snapshot, then every first join and last leave",
          "[actors][registry][cluster]") {
  core_under_test c;
  caf::scoped_actor self{*c.sys};
  peer_registry peer{c};
  auto a = fp_of(1), b = fp_of(2), x = fp_of(3), y = fp_of(4);
  auto a1 = c.spawn_member(), a2 = c.spawn_member(), b1 = c.spawn_member(), x1 = c.spawn_member();
  auto io = [] { return as_transport(std::make_shared<recording_transport>()); };
  REQUIRE(c.join(self, a, a1, io()));
  REQUIRE(c.join(self, b, b1, io()));

  join_cluster(self, c.core.registry, {{"n2", &peer}});
  c.presence(self, a);
  peer.drain(self);
  auto snaps = peer.received<fp_snapshot_atom, std::string, std::vector<proto::fingerprint>>();
  REQUIRE(snaps.size() == 1);
  CHECK(snaps[0].get_as<std::string>(1) == "n1");
  CHECK(snapshot_of(snaps[0]) == std::set<proto::fingerprint>{a, b});
  CHECK(c.core.stats->cluster_peers.load() == 1);

  // A first connection is announced, a second one of the same identity is not.
  REQUIRE(c.join(self, x, x1, io()));
  REQUIRE(c.join(self, a, a2, io()));
  REQUIRE(c.join(self, y, c.spawn_member(), io()));
  peer.drain(self);
  CHECK(fps_of(peer.received<fp_up_atom, std::string, proto::fingerprint>(), "n1") == std::vector{x, y});

  // Only the last connection's leave is announced.
  auto left = [&](const caf::actor& member, const proto::fingerprint& fp, std::size_t remaining) {
    caf::anon_send_exit(member, caf::exit_reason::kill);
    REQUIRE(c.wait_route(fp, [&](const routes_ptr& r) { return r ? r->local.size() == remaining : remaining == 0; }));
    c.presence(self, fp);  // the down handler has finished
    peer.drain(self);
  };
  left(a1, a, 1);
  CHECK(peer.received<fp_down_atom, std::string, proto::fingerprint>().empty());
  left(x1, x, 0);
  left(b1, b, 0);
  CHECK(fps_of(peer.received<fp_down_atom, std::string, proto::fingerprint>(), "n1") == std::vector{x, b});

  // The link comes up again (the peer lost it): a fresh snapshot.
  self->send(c.core.registry, peer_up_atom::value, std::string{"n2"}, peer.actor);
  c.presence(self, a);
  peer.drain(self);
  snaps = peer.received<fp_snapshot_atom, std::string, std::vector<proto::fingerprint>>();
  REQUIRE(snaps.size() == 2);
  CHECK(snapshot_of(snaps[1]) == std::set<proto::fingerprint>{a, y});
  CHECK(c.core.stats->cluster_peers.load() == 1);
}

TEST_CASE("cluster links: fp_up, fp_down and fp_snapshot publish and unpublish remote routes",
          "[actors][registry][cluster]") {
  core_under_test c;
  caf::scoped_actor self{*c.sys};
  peer_registry n2{c}, n3{c};
  join_cluster(self, c.core.registry, {{"n2", &n2}, {"n3", &n3}});
  const auto& registry = c.core.registry;
  auto x = fp_of(1);

  // Each message below is handled before the presence request that follows
  // it from the same sender (c.presence is the barrier).
  self->send(registry, fp_up_atom::value, std::string{"n2"}, x);
  c.presence(self, x);
  CHECK(remote_only(c.core.routes->find(x)));
  // Held by two nodes: the route stays until both let go.
  self->send(registry, fp_up_atom::value, std::string{"n3"}, x);
  self->send(registry, fp_down_atom::value, std::string{"n2"}, x);
  c.presence(self, x);
  CHECK(remote_only(c.core.routes->find(x)));
  self->send(registry, fp_down_atom::value, std::string{"n3"}, x);
  c.presence(self, x);
  CHECK_FALSE(c.core.routes->find(x));

  // A locally held identity that a peer holds too: both kinds of route.
  auto local = fp_of(2);
  auto io = as_transport(std::make_shared<recording_transport>());
  REQUIRE(c.join(self, local, c.spawn_member(), io));
  self->send(registry, fp_up_atom::value, std::string{"n2"}, local);
  c.presence(self, local);
  auto both = c.core.routes->find(local);
  REQUIRE(both);
  CHECK(both->remote);
  REQUIRE(both->local.size() == 1);
  CHECK(both->local[0].io == io);
  self->send(registry, fp_down_atom::value, std::string{"n2"}, local);
  c.presence(self, local);
  auto local_only = c.core.routes->find(local);
  REQUIRE(local_only);
  CHECK_FALSE(local_only->remote);
  CHECK(local_only->local.size() == 1);

  // A snapshot replaces what the node held before.
  auto p = fp_of(3), q = fp_of(4), r = fp_of(5);
  self->send(registry, fp_snapshot_atom::value, std::string{"n2"}, std::vector<proto::fingerprint>{p, q});
  c.presence(self, p);
  CHECK(remote_only(c.core.routes->find(p)));
  CHECK(remote_only(c.core.routes->find(q)));
  self->send(registry, fp_snapshot_atom::value, std::string{"n2"}, std::vector<proto::fingerprint>{q, r});
  c.presence(self, p);
  CHECK_FALSE(c.core.routes->find(p));
  CHECK(remote_only(c.core.routes->find(q)));
  CHECK(remote_only(c.core.routes->find(r)));
  // Another node's routes are not touched by n2's snapshot.
  self->send(registry, fp_up_atom::value, std::string{"n3"}, p);
  self->send(registry, fp_snapshot_atom::value, std::string{"n2"}, std::vector<proto::fingerprint>{q});
  c.presence(self, p);
  CHECK(remote_only(c.core.routes->find(p)));
  CHECK_FALSE(c.core.routes->find(r));

  // A peer that goes takes its routes along, and only its own.
  self->send(registry, peer_down_atom::value, std::string{"n2"});
  c.presence(self, q);
  CHECK_FALSE(c.core.routes->find(q));
  CHECK(remote_only(c.core.routes->find(p)));
  CHECK(c.core.stats->cluster_peers.load() == 1);
}

TEST_CASE("cluster links: forwards beyond a peer's credit are dropped and counted, until it acknowledges",
          "[actors][registry][cluster]") {
  relay_config config;
  config.max_peer_backlog_bytes = 16 * 1024;
  core_under_test c{config};
  caf::scoped_actor self{*c.sys};
  peer_registry peer{c};
  join_cluster(self, c.core.registry, {{"n2", &peer}});
  auto to = fp_of(1);
  self->send(c.core.registry, fp_up_atom::value, std::string{"n2"}, to);
  c.presence(self, to);
  auto frame = make_frame(binary_send(to, 1000));
  auto& stats = *c.core.stats;

  constexpr std::uint64_t attempts = 40;  // 40 KB for a 16 KiB backlog
  for (std::uint64_t i = 0; i < attempts; ++i) self->send(c.core.registry, forward_atom::value, to, frame);
  // Nobody holds this one anywhere else: neither sent nor counted as dropped.
  self->send(c.core.registry, forward_atom::value, fp_of(2), frame);
  c.presence(self, to);
  auto sent = stats.cluster_forwarded.load();
  CHECK(sent >= 1);
  CHECK(sent * frame->size() <= config.max_peer_backlog_bytes);
  CHECK(stats.cluster_dropped.load() == attempts - sent);
  peer.drain(self);
  auto delivered = peer.received<cluster_deliver_atom, std::string, wire_envelope>();
  REQUIRE(delivered.size() == sent);
  for (const auto& m : delivered) {
    CHECK(m.get_as<std::string>(1) == "n1");
    CHECK(m.get_as<wire_envelope>(2).destination == to);
    CHECK(m.get_as<wire_envelope>(2).message == *frame);
  }
  // Still full: the next one is dropped too.
  self->send(c.core.registry, forward_atom::value, to, frame);
  c.presence(self, to);
  CHECK(stats.cluster_forwarded.load() == sent);
  CHECK(stats.cluster_dropped.load() == attempts - sent + 1);

  SECTION("an acknowledgement returns the credit") {
    self->send(c.core.registry, cluster_ack_atom::value, std::string{"n2"}, std::uint64_t{sent * frame->size()});
  }
  SECTION("a peer_up starts the link afresh") {
    self->send(c.core.registry, peer_up_atom::value, std::string{"n2"}, peer.actor);
  }
  SECTION("an acknowledgement from another node returns nothing") {
    self->send(c.core.registry, cluster_ack_atom::value, std::string{"n3"}, std::uint64_t{sent * frame->size()});
    self->send(c.core.registry, forward_atom::value, to, frame);
    c.presence(self, to);
    CHECK(stats.cluster_forwarded.load() == sent);
    peer.drain(self);
    CHECK(peer.received<cluster_deliver_atom, std::string, wire_envelope>().size() == sent);
    return;
  }
  for (std::uint64_t i = 0; i < sent; ++i) self->send(c.core.registry, forward_atom::value, to, frame);
  c.presence(self, to);
  CHECK(stats.cluster_forwarded.load() == 2 * sent);
  CHECK(stats.cluster_dropped.load() == attempts - sent + 1);
  peer.drain(self);
  CHECK(peer.received<cluster_deliver_atom, std::string, wire_envelope>().size() == 2 * sent);
}

TEST_CASE("cluster links: a frame from a peer reaches local devices, and is acknowledged every 256 KiB",
          "[actors][registry][cluster]") {
  core_under_test c;
  caf::scoped_actor self{*c.sys};
  peer_registry peer{c};
  join_cluster(self, c.core.registry, {{"n2", &peer}});
  auto to = fp_of(1);
  auto binary_io = std::make_shared<recording_transport>(wire_format::binary);
  auto json_io = std::make_shared<recording_transport>(wire_format::json);
  REQUIRE(c.join(self, to, c.spawn_member(), as_transport(binary_io)));
  REQUIRE(c.join(self, to, c.spawn_member(), as_transport(json_io)));

  auto message = binary_send(to, 64 * 1024);
  wire_envelope env{to, message};
  const std::uint64_t size = message.size();
  const std::uint64_t ack_every = 256 * 1024;
  const std::uint64_t per_ack = (ack_every + size - 1) / size;  // envelopes until an ack is due
  REQUIRE(per_ack > 1);
  for (std::uint64_t i = 0; i < 2 * per_ack; ++i) self->send(c.core.registry, cluster_deliver_atom::value, std::string{"n2"}, env);
  // To nobody here: counted and acknowledged all the same, delivered to no one.
  self->send(c.core.registry, cluster_deliver_atom::value, std::string{"n2"},
             wire_envelope{fp_of(2), binary_send(fp_of(2), 10)});
  c.presence(self, to);

  CHECK(c.core.stats->cluster_received.load() == 2 * per_ack + 1);
  REQUIRE(binary_io->wait_until([&](auto& t) { return t.sent_count() == 2 * per_ack; }, wait_limit));
  for (const auto& f : binary_io->snapshot().sent) CHECK(*f == message);  // as it came, not re-encoded
  REQUIRE(json_io->wait_until([&](auto& t) { return t.sent_count() == 2 * per_ack; }, wait_limit));
  proto::message decoded;
  REQUIRE(proto::decode(*json_io->snapshot().sent.at(0), wire_format::json, decoded) == proto::decode_error::none);
  CHECK(std::get<proto::send>(decoded).payload.size() == 64 * 1024);

  // Two acks, each for exactly the bytes since the one before.
  peer.drain(self);
  auto acks = peer.received<cluster_ack_atom, std::string, std::uint64_t>();
  REQUIRE(acks.size() == 2);
  for (const auto& m : acks) {
    CHECK(m.get_as<std::string>(1) == "n1");
    CHECK(m.get_as<std::uint64_t>(2) == per_ack * size);
  }
}
