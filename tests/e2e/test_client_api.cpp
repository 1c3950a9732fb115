// The client library's own API beyond what the protocol tests use: typed
// errors, run_events, keepalive, messages kept across get_rendezvous().
#include <signal.h>

#include <thread>

#include "helpers.hpp"

using namespace relay;
using namespace relay::test;

TEST_CASE("client errors are typed: url, connect, auth refused, closed", "[e2e][client]") {
  CHECK_THROWS_AS(connection::open("wss://"), client::url_error);
  CHECK_THROWS_AS(connection::open("wss://127.0.0.1:1"), client::connect_error);  // wss:// is spoken (test_tls.cpp)
  CHECK_THROWS_AS(connection::open("tcp://127.0.0.1:1"), client::url_error);

  relay_process relay{{"--max-connections-per-identity", "1"}};
  auto key = test_key(70);
  auto first = authed(relay, key);
  require_round_trip(*first);
  auto second = connection::open(relay.url());
  try {
    second->authenticate(key, 5s, 500ms);
    FAIL("a second device over the limit was not refused");
  } catch (const client::auth_error& e) {
    CHECK(e.info.code == 1008);
  }
  // Once closed, every receive() reports it instead of timing out.
  CHECK_THROWS_AS(second->receive(100ms), client::closed_error);
  CHECK_THROWS_AS(second->receive(100ms), client::closed_error);

  relay.signal(SIGTERM);
  REQUIRE(relay.wait_exit(10s) == 0);
  CHECK_THROWS_AS(connection::open(relay.url()), client::connect_error);
}

TEST_CASE("run_events delivers messages until stopped or timed out", "[e2e][client]") {
  relay_process relay;
  auto a = authed(relay, test_key(71));
  auto b = authed(relay, test_key(72));
  require_round_trip(*a);
  require_round_trip(*b);
  for (std::uint8_t i = 0; i < 5; ++i) a->send_to(b->fp(), {i});

  std::stop_source stop;
  std::vector<protocol::byte_vector> got;
  auto end = b->run_events(
    [&](const protocol::message& m) {
      if (auto* s = std::get_if<protocol::send>(&m)) got.push_back(s->payload);
      if (got.size() == 5) stop.request_stop();
    },
    stop.get_token(), 10s);
  CHECK(end == client::run_end::stopped);
  REQUIRE(got.size() == 5);
  CHECK(got[4] == protocol::byte_vector{4});

  CHECK(b->run_events([](const protocol::message&) {}, {}, 200ms) == client::run_end::timed_out);

  // A stop requested from another thread ends a wait without messages.
  std::stop_source later;
  std::thread stopper([&] {
    std::this_thread::sleep_for(200ms);
    later.request_stop();
  });
  auto start = std::chrono::steady_clock::now();
  CHECK(b->run_events([](const protocol::message&) {}, later.get_token()) == client::run_end::stopped);
  CHECK(std::chrono::steady_clock::now() - start < 5s);
  stopper.join();
}

TEST_CASE("messages that arrive while waiting for a rendezvous code are not lost", "[e2e][client]") {
  relay_process relay;
  auto a = authed(relay, test_key(73));
  auto b = authed(relay, test_key(74));
  require_round_trip(*b);
  a->send_to(b->fp(), bytes_of("early"));
  std::this_thread::sleep_for(200ms);  // let it arrive before the code
  auto code = b->get_rendezvous();
  CHECK(code.size() == 11);
  auto s = next_send(*b, 5s);
  REQUIRE(s);
  CHECK(s->payload == bytes_of("early"));
}

TEST_CASE("keepalive pings hold a silent connection past the idle timeout", "[e2e][client]") {
  relay_process relay{{"--idle-timeout", "1"}};
  auto c = authed(relay, test_key(75));
  c->enable_keepalive(200ms);
  CHECK_FALSE(c->wait_closed(2500ms));
  require_round_trip(*c);
  c->enable_keepalive(0ms);
  auto closed = c->wait_closed(5s);
  REQUIRE(closed);
  CHECK(closed->reason == "idle timeout");
}
