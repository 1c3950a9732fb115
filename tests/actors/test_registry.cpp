// The registry's local half without connection actors: stand-in member
// actors joined from the test thread, each with a recording transport, and
// the route table the registry publishes read directly.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "core_harness.hpp"
#include "registry_actor.hpp"

using namespace relay;
using namespace relay::test;
using fuzz::recording_transport;
using routes_ptr = detail::route_table::routes_ptr;

namespace {

std::string text(const identity_bytes& id) { return id ? std::string(id->begin(), id->end()) : "<null>"; }

// The transports a route lists, in order.
std::vector<transport_ptr> transports(const routes_ptr& r) {
  std::vector<transport_ptr> out;
  if (r)
    for (const auto& ep : r->local) out.push_back(ep.io);
  return out;
}

}  // namespace

TEST_CASE("registry: a join's route is published before the join is answered", "[actors][registry]") {
  core_under_test c;
  caf::scoped_actor self{*c.sys};
  // Many joins in a row: a publish that trailed the answer would show up
  // as a missing route in some of them.
  for (std::uint8_t n = 1; n <= 100; ++n) {
    auto io = as_transport(std::make_shared<recording_transport>());
    auto joined = c.join(self, fp_of(n), c.spawn_member(), io);
    REQUIRE(joined);
    CHECK(*joined == caf::atom("ok"));
    // Read at once, with no wait: the answer came after the publish.
    auto r = c.core.routes->find(fp_of(n));
    REQUIRE(r);
    CHECK(transports(r) == std::vector<transport_ptr>{io});
    CHECK_FALSE(r->remote);
  }
}

TEST_CASE("registry: the per-identity connection cap refuses the extra join", "[actors][registry]") {
  relay_config config;
  config.max_connections_per_identity = 2;
  core_under_test c{config};
  caf::scoped_actor self{*c.sys};
  auto fp = fp_of(1);
  auto io1 = as_transport(std::make_shared<recording_transport>());
  auto io2 = as_transport(std::make_shared<recording_transport>());
  auto io3 = as_transport(std::make_shared<recording_transport>());
  auto m1 = c.spawn_member();
  REQUIRE(c.join(self, fp, m1, io1));
  REQUIRE(c.join(self, fp, c.spawn_member(), io2));
  auto refused = c.join(self, fp, c.spawn_member(), io3);
  REQUIRE_FALSE(refused);
  CHECK(refused.error() == caf::sec::runtime_error);
  CHECK(c.core.stats->joins_refused.load() == 1);
  CHECK(transports(c.core.routes->find(fp)) == std::vector<transport_ptr>{io1, io2});
  // Another identity is not affected.
  REQUIRE(c.join(self, fp_of(2), c.spawn_member(), as_transport(std::make_shared<recording_transport>())));
  // The cap counts live connections: once one leaves, a join fits again.
  caf::anon_send_exit(m1, caf::exit_reason::kill);
  REQUIRE(c.wait_route(fp, [](const routes_ptr& r) { return r && r->local.size() == 1; }));
  REQUIRE(c.join(self, fp, c.spawn_member(), io3));
  CHECK(transports(c.core.routes->find(fp)) == std::vector<transport_ptr>{io2, io3});
  CHECK(c.core.stats->joins_refused.load() == 1);
}

TEST_CASE("registry: a join refused by a cap of 0 leaves no member behind", "[actors][registry]") {
  detail::local_members members;
  auto fp = fp_of(1);
  auto io = as_transport(std::make_shared<recording_transport>());
  CHECK(members.join(fp, {}, caf::actor{}, io, 0) == detail::local_members::join_result::refused);
  CHECK(members.held().empty());
  CHECK(members.any_connection(fp) == nullptr);
  CHECK(members.endpoints(fp).empty());
}

TEST_CASE("registry: a member's down removes its route, and only its own", "[actors][registry]") {
  core_under_test c;
  caf::scoped_actor self{*c.sys};
  auto a = fp_of(1);
  auto b = fp_of(2);
  auto a_member = c.spawn_member();
  auto b1 = c.spawn_member();
  auto b2 = c.spawn_member();
  auto a_io = as_transport(std::make_shared<recording_transport>());
  auto b1_io = as_transport(std::make_shared<recording_transport>());
  auto b2_io = as_transport(std::make_shared<recording_transport>());
  REQUIRE(c.join(self, a, a_member, a_io));
  REQUIRE(c.join(self, b, b1, b1_io));
  REQUIRE(c.join(self, b, b2, b2_io));

  caf::anon_send_exit(a_member, caf::exit_reason::kill);
  REQUIRE(c.wait_route(a, [](const routes_ptr& r) { return !r; }));
  CHECK(transports(c.core.routes->find(b)) == std::vector<transport_ptr>{b1_io, b2_io});

  // A closing device of an identity with two leaves the other routable.
  caf::anon_send_exit(b1, caf::exit_reason::user_shutdown);
  REQUIRE(c.wait_route(b, [](const routes_ptr& r) { return r && r->local.size() == 1; }));
  CHECK(transports(c.core.routes->find(b)) == std::vector<transport_ptr>{b2_io});
  caf::anon_send_exit(b2, caf::exit_reason::kill);
  REQUIRE(c.wait_route(b, [](const routes_ptr& r) { return !r; }));
}

TEST_CASE("registry: presence is the identity of a live connection, and null once none is left",
          "[actors][registry]") {
  core_under_test c;
  caf::scoped_actor self{*c.sys};
  auto fp = fp_of(1);
  CHECK_FALSE(c.presence(self, fp));
  auto first = c.spawn_member();
  auto second = c.spawn_member();
  REQUIRE(c.join(self, fp, first, as_transport(std::make_shared<recording_transport>()), identity_of("id-1")));
  CHECK(text(c.presence(self, fp)) == "id-1");
  REQUIRE(c.join(self, fp, second, as_transport(std::make_shared<recording_transport>()), identity_of("id-2")));
  auto either = text(c.presence(self, fp));
  CHECK((either == "id-1" || either == "id-2"));
  CHECK_FALSE(c.presence(self, fp_of(2)));

  caf::anon_send_exit(first, caf::exit_reason::kill);
  REQUIRE(c.wait_route(fp, [](const routes_ptr& r) { return r && r->local.size() == 1; }));
  CHECK(text(c.presence(self, fp)) == "id-2");
  caf::anon_send_exit(second, caf::exit_reason::kill);
  REQUIRE(c.wait_route(fp, [](const routes_ptr& r) { return !r; }));
  // The route went in the same turn as the member: presence agrees.
  CHECK_FALSE(c.presence(self, fp));
}
