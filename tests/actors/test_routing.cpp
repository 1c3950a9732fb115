// The relay's actors without sockets: connection actors on recording
// transports (fuzz/support/recording_transport.hpp) and a real relay core,
// in one actor system with two worker threads. What a Send does between a
// frame arriving at a connection actor and frames leaving at destination
// transports, and the route table the registry publishes.
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <variant>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/all.hpp>

#include "recording_transport.hpp"
#include "relay/actors/messages.hpp"
#include "relay/actors/relay_core.hpp"
#include "relay/log.hpp"
#include "relay/protocol/keys.hpp"
#include "relay/protocol/wire_format.hpp"
#include "route_table.hpp"

using namespace relay;
namespace proto = relay::protocol;
using fuzz::recording_transport;
using namespace std::chrono_literals;

namespace {

constexpr auto wait_limit = 10s;

proto::identity_key_pair key(std::uint8_t n) {
  std::array<std::uint8_t, 32> seed{};
  seed.fill(n);
  seed[0] = 0x7a;
  return proto::identity_key_pair::from_seed(proto::key_algorithm::ed25519, seed);
}

struct relay_under_test {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  relay_core core;

  relay_under_test() {
    log::set_level(log::level::off);
    cfg.set("scheduler.max-threads", std::size_t{2});
    sys = std::make_unique<caf::actor_system>(cfg);
    core = spawn_relay_core(*sys, relay_config{});
  }
  ~relay_under_test() { shutdown_relay_core(core); }
};

// One client: a connection actor on a recording transport.
struct client {
  std::shared_ptr<recording_transport> io;
  caf::actor actor;
  proto::identity_key_pair id;
  proto::wire_format format;

  client(relay_under_test& r, proto::identity_key_pair k, proto::wire_format f = proto::wire_format::json)
      : io(std::make_shared<recording_transport>(f)), id(std::move(k)), format(f) {
    actor = spawn_connection(*r.sys, r.core, io);
    caf::actor_cast<caf::abstract_actor*>(actor)->attach_functor([t = io] { t->mark_terminated(); });
    REQUIRE(io->wait_until([](auto& t) { return t.sent_count() >= 1; }, wait_limit));
    proto::message m;
    REQUIRE(proto::decode(*io->snapshot().sent.at(0), format, m) == proto::decode_error::none);
    auto& challenge = std::get<proto::auth_challenge>(m);
    frame(proto::auth_response{proto::identity{id.cose_key_bytes()}, id.sign_challenge(challenge.value)});
  }

  ~client() { caf::anon_send(actor, closed_atom::value); }
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  void frame(const proto::message& m) {
    caf::anon_send(actor, frame_atom::value, inbound_frame{proto::encode(m, format), format == proto::wire_format::binary});
  }
  void send_to(const proto::fingerprint& to, const std::string& payload) {
    frame(proto::send{std::nullopt, to, proto::byte_vector(payload.begin(), payload.end())});
  }

  // The Sends from `from` this client received so far.
  std::vector<proto::send> received_from(const client& from) const {
    std::vector<proto::send> out;
    auto s = io->snapshot();
    for (std::size_t i = 1; i < s.sent.size(); ++i) {
      proto::message m;
      REQUIRE(proto::decode(*s.sent[i], format, m) == proto::decode_error::none);
      if (auto* snd = std::get_if<proto::send>(&m); snd && snd->source == from.id.fp()) out.push_back(*snd);
    }
    return out;
  }
  // Waits (bounded) until `n` Sends from `from` have arrived.
  bool wait_received(const client& from, std::size_t n) const {
    auto deadline = std::chrono::steady_clock::now() + wait_limit;
    while (received_from(from).size() < n) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(2ms);
    }
    return true;
  }
  // Authenticated and routable: a Send to itself comes back.
  void confirm() {
    auto before = io->snapshot().sent.size();
    send_to(id.fp(), "self");
    REQUIRE(io->wait_until([before](auto& t) { return t.sent_count() > before; }, wait_limit));
  }
};

std::string text(const proto::send& s) { return {s.payload.begin(), s.payload.end()}; }

}  // namespace

TEST_CASE("actors: a Send reaches every device of its destination, in order, with the sender as source",
          "[actors][routing]") {
  relay_under_test r;
  client a(r, key(1));
  client b1(r, key(2));
  client b2(r, key(2));
  a.confirm();
  b1.confirm();
  b2.confirm();
  constexpr int count = 200;
  for (int i = 0; i < count; ++i) a.send_to(b1.id.fp(), "m" + std::to_string(i));
  for (auto* b : {&b1, &b2}) {
    REQUIRE(b->wait_received(a, count));
    auto got = b->received_from(a);
    REQUIRE(got.size() == count);
    for (int i = 0; i < count; ++i) CHECK(text(got[i]) == "m" + std::to_string(i));
  }
  CHECK(r.core.stats->deliveries.load() >= 2 * count);
}

TEST_CASE("actors: a JSON Send to two binary devices is transcoded once", "[actors][routing]") {
  relay_under_test r;
  client a(r, key(3));
  client b1(r, key(4), proto::wire_format::binary);
  client b2(r, key(4), proto::wire_format::binary);
  a.confirm();
  b1.confirm();
  b2.confirm();
  auto before = r.core.stats->frames_transcoded.load();
  a.send_to(b1.id.fp(), "once");
  REQUIRE(b1.wait_received(a, 1));
  REQUIRE(b2.wait_received(a, 1));
  CHECK(text(b1.received_from(a).back()) == "once");
  CHECK(text(b2.received_from(a).back()) == "once");
  CHECK(r.core.stats->frames_transcoded.load() - before == 1);
}

TEST_CASE("actors: a closed connection stops being routable, and others keep their routes", "[actors][routing]") {
  relay_under_test r;
  client a(r, key(5));
  client b(r, key(6));
  client c(r, key(7));
  a.confirm();
  b.confirm();
  c.confirm();
  caf::anon_send(b.actor, closed_atom::value);
  REQUIRE(b.io->wait_until([](auto& t) { return t.terminated(); }, wait_limit));
  // The down message reaches the registry asynchronously: wait until b's
  // route is gone (bounded), then a Send to it is counted as dropped.
  auto deadline = std::chrono::steady_clock::now() + wait_limit;
  while (r.core.routes->find(b.id.fp()) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  REQUIRE_FALSE(r.core.routes->find(b.id.fp()));
  auto dropped = r.core.stats->dropped_no_route.load();
  auto b_frames = b.io->snapshot().sent.size();
  a.send_to(b.id.fp(), "to nobody");
  a.send_to(c.id.fp(), "to c");
  REQUIRE(c.wait_received(a, 1));
  CHECK(text(c.received_from(a).back()) == "to c");
  CHECK(r.core.stats->dropped_no_route.load() == dropped + 1);
  CHECK(b.io->snapshot().sent.size() == b_frames);
}

TEST_CASE("route table: entries are replaced whole, empty ones removed", "[actors][routing]") {
  detail::route_table table;
  auto fp = key(8).fp();
  CHECK_FALSE(table.find(fp));
  auto io = std::make_shared<recording_transport>();
  auto first = std::make_shared<detail::route_table::routes>();
  first->local.push_back({io, {}});
  table.publish(fp, first);
  auto held = table.find(fp);
  REQUIRE(held);
  CHECK(held->local.size() == 1);
  // A reader keeps its snapshot while the registry publishes a new one.
  auto second = std::make_shared<detail::route_table::routes>();
  second->remote = true;
  table.publish(fp, second);
  CHECK(held->local.size() == 1);
  REQUIRE(table.find(fp));
  CHECK(table.find(fp)->local.empty());
  CHECK(table.find(fp)->remote);
  table.publish(fp, std::make_shared<detail::route_table::routes>());
  CHECK_FALSE(table.find(fp));
  table.publish(fp, second);
  table.publish(fp, nullptr);
  CHECK_FALSE(table.find(fp));
}
