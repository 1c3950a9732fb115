// A 3-node cluster of real relay processes over CAF's middleman on loopback:
// cross-node pairing, ordering, multi-node devices, single-use codes, node
// loss and rejoin.
#include <signal.h>

#include <thread>

#include "conformance.hpp"
#include "cluster_helpers.hpp"
#include "cluster_intruders.hpp"
#include "helpers.hpp"

using namespace relay;
using namespace relay::test;

TEST_CASE("a 3-node cluster pairs, routes in order, fans out across nodes and survives node loss",
          "[e2e][cluster]") {
  auto a = start_node({});
  auto b = start_node({cluster_address(*a)});
  auto c = start_node({cluster_address(*a)});  // learns B from A

  auto x_key = test_key(80);  // on A
  auto y_key = test_key(81);  // on C
  auto z_key = test_key(82);  // devices on A and B
  auto x = authed(*a, x_key);
  auto y = authed(*c, y_key);
  wait_routable(*x, *y);
  wait_routable(*y, *x);

  SECTION("a code issued on A is claimed on C, and messages flow both ways in order") {
    auto code = x->get_rendezvous();
    auto info = y->claim(code);
    REQUIRE(info);
    CHECK(info->fp == x_key.fp());
    CHECK(info->id.cose_key_bytes == x_key.cose_key_bytes());
    constexpr int count = 300;
    for (int i = 0; i < count; ++i) {
      x->send_to(y_key.fp(), bytes_of("x" + std::to_string(i)));
      y->send_to(x_key.fp(), bytes_of("y" + std::to_string(i)));
    }
    for (int i = 0; i < count; ++i) {
      auto at_y = next_send(*y, 5s);
      auto at_x = next_send(*x, 5s);
      REQUIRE(at_y);
      REQUIRE(at_x);
      REQUIRE(std::string(at_y->payload.begin(), at_y->payload.end()) == "x" + std::to_string(i));
      REQUIRE(std::string(at_x->payload.begin(), at_x->payload.end()) == "y" + std::to_string(i));
      CHECK(at_y->source == x_key.fp());
    }
  }

  SECTION("an identity with devices on A and B receives on both") {
    auto z_on_a = authed(*a, z_key);
    auto z_on_b = authed(*b, z_key);
    wait_routable(*y, *z_on_b);
    while (z_on_a->next_event(300ms)) {}
    y->send_to(z_key.fp(), bytes_of("to every device"));
    CHECK(expect_payload(*z_on_a, bytes_of("to every device"), 5s));
    CHECK(expect_payload(*z_on_b, bytes_of("to every device"), 5s));
  }

  SECTION("a code claimed from two other nodes at once succeeds exactly once") {
    auto w = authed(*b, test_key(83));
    wait_routable(*x, *w);
    auto code = x->get_rendezvous();
    y->send(protocol::get_identity{code});
    w->send(protocol::get_identity{code});
    int successes = 0;
    for (auto* claimer : {y.get(), w.get()}) {
      auto deadline = std::chrono::steady_clock::now() + 3s;
      while (std::chrono::steady_clock::now() < deadline) {
        auto msg = claimer->receive(500ms);
        if (msg && std::holds_alternative<protocol::identity_info>(*msg)) {
          ++successes;
          break;
        }
      }
    }
    CHECK(successes == 1);
  }

  SECTION("kill -9 of B: A and C keep routing; B's devices come back after a restart") {
    auto q_key = test_key(84);
    auto q = authed(*b, q_key);
    wait_routable(*x, *q);
    b->signal(SIGKILL);
    REQUIRE(b->wait_exit(5s));
    // A and C still route among themselves.
    auto after = bytes_of("after B died");
    x->send_to(y_key.fp(), after);
    CHECK(expect_payload(*y, after, 5s));
    // B's device is gone: a send to it is dropped, the sender is fine.
    x->send_to(q_key.fp(), bytes_of("lost"));
    require_round_trip(*x);
    // B comes back (a new process, new ports) and its client reconnects.
    auto b2 = start_node({cluster_address(*a)});
    auto q2 = authed(*b2, q_key);
    wait_routable(*x, *q2);
    wait_routable(*y, *q2);
    q2->send_to(y_key.fp(), bytes_of("back"));
    CHECK(expect_payload(*y, bytes_of("back"), 5s));
  }
}

TEST_CASE("without TLS a node refuses a non-loopback cluster port", "[e2e][cluster]") {
  auto r = run_program({(bin_dir() / "relay").string(), "--listen", "127.0.0.1:0", "--cluster-listen", "0.0.0.0:0"}, 5s);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("without TLS") != std::string::npos);
}

namespace {

std::unique_ptr<relay_process> start_tls_node(const cluster_pki& pki, const std::string& node,
                                              const std::vector<std::string>& peers) {
  std::vector<std::string> args{"--cluster-listen", "127.0.0.1:0", "--cluster-timeout", "2"};
  for (const auto& p : peers) {
    args.push_back("--peer");
    args.push_back(p);
  }
  for (auto& f : pki.flags(node)) args.push_back(f);
  return std::make_unique<relay_process>(args);
}

}  // namespace

TEST_CASE("with mutual TLS, nodes with the cluster CA's certificates join, a foreign certificate does not",
          "[e2e][cluster][tls]") {
  cluster_pki pki;
  auto a = start_tls_node(pki, "a", {});
  REQUIRE(a->startup_lines().size() >= 1);
  CHECK(a->startup_lines()[0].find("(mutual TLS)") != std::string::npos);
  auto b = start_tls_node(pki, "b", {cluster_address(*a)});
  auto x = authed(*a, test_key(90));
  auto y = authed(*b, test_key(91));
  wait_routable(*x, *y);
  wait_routable(*y, *x);

  // The rogue node trusts our CA but presents a certificate from another one.
  auto rogue = start_tls_node(pki, "rogue", {cluster_address(*a)});
  auto r = authed(*rogue, test_key(92));
  std::this_thread::sleep_for(2s);  // several dial attempts
  for (int i = 0; i < 5; ++i) r->send_to(x->fp(), bytes_of("from rogue"));
  CHECK_FALSE(expect_payload(*x, bytes_of("from rogue"), 1500ms));
  x->send_to(r->fp(), bytes_of("to rogue"));
  CHECK_FALSE(expect_payload(*r, bytes_of("to rogue"), 1500ms));
  // The real members stay reachable, every message arriving (the gate keeps
  // the rogue's refused handshakes away from the middleman; the stream
  // checks with each kind of intruder are in test_cluster_gate.cpp).
  for (int i = 0; i < 20; ++i) x->send_to(y->fp(), bytes_of("while the rogue dials " + std::to_string(i)));
  for (int i = 0; i < 20; ++i) REQUIRE(expect_payload(*y, bytes_of("while the rogue dials " + std::to_string(i)), 5s));
}
