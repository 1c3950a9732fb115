// Rendezvous codes across a 3-node cluster of real relay processes: a code
// outlives its owner's connections and is answered wherever the owner is
// connected at claim time (asked of every node then, not taken from route
// gossip), spent once cluster-wide even when nobody answers.
#include <signal.h>

#include <thread>

#include "cluster_helpers.hpp"
#include "helpers.hpp"

using namespace relay;
using namespace relay::test;

namespace {

struct three_nodes {
  std::unique_ptr<relay_process> a, b, c;
  three_nodes() {
    a = start_node({});
    b = start_node({cluster_address(*a)});
    c = start_node({cluster_address(*a)});  // learns B from A
    // Every pair of nodes is joined once a probe crosses each link.
    auto pa = authed(*a, test_key(160));
    auto pb = authed(*b, test_key(161));
    auto pc = authed(*c, test_key(162));
    wait_routable(*pa, *pb);
    wait_routable(*pb, *pc);
    wait_routable(*pc, *pa);
  }
};

// Authenticates `key` on `node` and waits until that connection is joined
// there (success is silent on the wire; a round trip through the node's
// registry shows it). Nothing here waits for other nodes to learn it.
std::unique_ptr<connection> back_on(const relay_process& node, const protocol::identity_key_pair& key) {
  auto c = authed(node, key);
  require_round_trip(*c);
  return c;
}

// Closes `c` and gives its node time to see it gone.
void leave(std::unique_ptr<connection>& c) {
  c->close();
  REQUIRE(c->wait_closed(5s));
  c.reset();
  std::this_thread::sleep_for(500ms);
}

// Whether `c` gets an IdentityInfo within `timeout` (other frames skipped).
bool gets_identity_info(connection& c, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    auto msg = c.receive(left);
    if (!msg) return false;
    if (std::holds_alternative<protocol::identity_info>(*msg)) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("cluster: a code survives its owner's reconnect, to the same node or another one",
          "[e2e][cluster][rendezvous]") {
  three_nodes cluster;
  auto owner_key = test_key(163);
  auto owner = authed(*cluster.a, owner_key);
  auto code = owner->get_rendezvous();
  leave(owner);

  SECTION("back on the issuing node, claimed from a third node") {
    owner = back_on(*cluster.a, owner_key);
    auto claimer = authed(*cluster.c, test_key(164));
    auto info = claimer->claim(code);
    REQUIRE(info);
    CHECK(info->fp == owner_key.fp());
    CHECK(info->id.cose_key_bytes == owner_key.cose_key_bytes());
  }
  SECTION("back on another node, claimed from a third node") {
    owner = back_on(*cluster.b, owner_key);  // a moment ago: no gossip needed
    auto claimer = authed(*cluster.c, test_key(165));
    auto info = claimer->claim(code);
    REQUIRE(info);
    CHECK(info->fp == owner_key.fp());
    CHECK(info->id.cose_key_bytes == owner_key.cose_key_bytes());
    CHECK_FALSE(claimer->claim(code, 1s));  // single use
  }
  SECTION("back on another node, claimed on that node") {
    owner = back_on(*cluster.b, owner_key);
    auto claimer = authed(*cluster.b, test_key(166));
    auto info = claimer->claim(code);
    REQUIRE(info);
    CHECK(info->id.cose_key_bytes == owner_key.cose_key_bytes());
  }
}

TEST_CASE("cluster: a claim while the owner is connected nowhere is silent and spends the code",
          "[e2e][cluster][rendezvous]") {
  three_nodes cluster;
  auto owner_key = test_key(167);
  auto owner = authed(*cluster.a, owner_key);
  auto code = owner->get_rendezvous();
  leave(owner);

  auto claimer = authed(*cluster.c, test_key(168));
  CHECK_FALSE(claimer->claim(code, 3s));
  // The owner returns within the code's lifetime, on any node: the code is gone.
  owner = back_on(*cluster.b, owner_key);
  CHECK_FALSE(claimer->claim(code, 3s));
  auto local_claimer = authed(*cluster.a, test_key(169));
  CHECK_FALSE(local_claimer->claim(code, 3s));
  require_round_trip(*claimer);  // the claimer is still served
}

TEST_CASE("cluster: concurrent claims from two nodes for an owner who moved get exactly one answer",
          "[e2e][cluster][rendezvous]") {
  three_nodes cluster;
  auto owner_key = test_key(170);
  auto owner = authed(*cluster.a, owner_key);
  auto code = owner->get_rendezvous();
  leave(owner);
  owner = back_on(*cluster.c, owner_key);

  auto on_b = authed(*cluster.b, test_key(171));
  auto on_c = authed(*cluster.c, test_key(172));
  on_b->send(protocol::get_identity{code});
  on_c->send(protocol::get_identity{code});
  int answers = 0;
  for (auto* claimer : {on_b.get(), on_c.get()})
    if (gets_identity_info(*claimer, 3s)) ++answers;
  CHECK(answers == 1);
}

TEST_CASE("cluster: a node that does not answer in time counts as not having the owner",
          "[e2e][cluster][rendezvous]") {
  three_nodes cluster;
  auto owner_key = test_key(173);
  auto owner = authed(*cluster.a, owner_key);
  auto code = owner->get_rendezvous();
  leave(owner);
  owner = back_on(*cluster.b, owner_key);

  cluster.b->signal(SIGSTOP);  // B holds the owner but cannot answer
  auto claimer = authed(*cluster.c, test_key(174));
  auto asked = std::chrono::steady_clock::now();
  claimer->send(protocol::get_identity{code});
  CHECK_FALSE(gets_identity_info(*claimer, 4s));  // bounded: 2 s claim timeout, no hang
  cluster.b->signal(SIGCONT);
  require_round_trip(*claimer);  // the claimer was served all along
  CHECK(std::chrono::steady_clock::now() - asked < 10s);

  // The silent claim spent the code, even though the owner was connected.
  CHECK_FALSE(claimer->claim(code, 3s));
  // B is back in the cluster: a fresh code of the owner on B is answered on C.
  wait_routable(*claimer, *owner);
  auto fresh = owner->get_rendezvous();
  auto info = claimer->claim(fresh);
  REQUIRE(info);
  CHECK(info->id.cose_key_bytes == owner_key.cose_key_bytes());
}
