// Rate limits over real sockets: each limit triggered, then recovered.
// Per-IP limits exempt loopback by default, so these relays run with
// --limit-loopback.
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include "conformance.hpp"
#include "helpers.hpp"

using namespace relay;
using namespace relay::test;

namespace {

// Opens a connection; true if the relay upgraded it (a 429 makes open throw).
bool can_connect(const relay_process& relay) {
  try {
    auto c = connection::open(relay.url());
    return c->next_event(2s).has_value();  // the challenge
  } catch (const client::client_error&) {
    return false;
  }
}

// One failed authentication: a signature over the wrong challenge.
void fail_auth(const relay_process& relay, const protocol::identity_key_pair& key) {
  auto c = connection::open(relay.url());
  auto msg = c->receive(5s);
  REQUIRE(msg);
  auto challenge = std::get<protocol::auth_challenge>(*msg).value;
  challenge[0] ^= 1;
  c->send(protocol::auth_response{protocol::identity{key.cose_key_bytes()}, key.sign_challenge(challenge)});
  REQUIRE(c->wait_closed(5s));
}

// A raw upgrade with an X-Forwarded-For header; true if upgraded.
bool upgrade_with_forwarded_for(const relay_process& relay, const std::string& forwarded_for) {
  namespace beast = boost::beast;
  boost::asio::io_context ioc;
  beast::websocket::stream<boost::asio::ip::tcp::socket> ws{ioc};
  boost::asio::ip::tcp::resolver resolver{ioc};
  boost::asio::connect(ws.next_layer(), resolver.resolve("127.0.0.1", std::to_string(relay.port())));
  ws.set_option(beast::websocket::stream_base::decorator(
    [&](beast::websocket::request_type& req) { req.set("X-Forwarded-For", forwarded_for); }));
  boost::system::error_code ec;
  ws.handshake("127.0.0.1", "/", ec);
  return !ec;
}

}  // namespace

TEST_CASE("new connections per IP are limited and the budget refills", "[e2e][ratelimit]") {
  relay_process relay{{"--limit-loopback", "--connections-per-ip", "2"}};  // burst 4
  int accepted = 0;
  for (int i = 0; i < 10; ++i) accepted += can_connect(relay) ? 1 : 0;
  CHECK(accepted >= 4);
  CHECK(accepted < 10);
  std::this_thread::sleep_for(1500ms);
  CHECK(can_connect(relay));
}

TEST_CASE("failed authentications per IP lead to a temporary refusal", "[e2e][ratelimit]") {
  relay_process relay{{"--limit-loopback", "--auth-failures-per-ip", "12"}};  // burst 12, one back per 5 s
  auto key = test_key(100);
  for (int i = 0; i < 12; ++i) fail_auth(relay, key);
  CHECK_FALSE(can_connect(relay));  // HTTP 429
  std::this_thread::sleep_for(5500ms);
  auto ok = authed(relay, key);
  require_round_trip(*ok);
}

TEST_CASE("claims over the per-connection budget get no answer until it refills", "[e2e][ratelimit]") {
  relay_process relay{{"--claims-per-connection", "30"}};  // burst 7, one back per 2 s
  auto owner = authed(relay, test_key(101));
  auto guesser = authed(relay, test_key(102));
  auto code = owner->get_rendezvous();
  for (int i = 0; i < 7; ++i) guesser->send(protocol::get_identity{"AAA-AAA-AA" + std::to_string(i)});
  CHECK_FALSE(guesser->claim(code, 1s));  // over budget: ignored like an unknown code
  std::this_thread::sleep_for(2500ms);
  auto info = guesser->claim(code, 3s);
  REQUIRE(info);
  CHECK(info->fp == owner->fp());
}

TEST_CASE("a sender over its message rate is slowed down, nothing is dropped", "[e2e][ratelimit]") {
  relay_process relay{{"--messages-per-connection", "200"}};  // burst 400
  auto a = authed(relay, test_key(103));
  auto b = authed(relay, test_key(104));
  require_round_trip(*b);
  constexpr int count = 1200;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < count; ++i) a->send_to(b->fp(), bytes_of(std::to_string(i)));
  for (int i = 0; i < count; ++i) {
    auto s = next_send(*b, 10s);
    REQUIRE(s);
    REQUIRE(std::string(s->payload.begin(), s->payload.end()) == std::to_string(i));
  }
  // (1200 - 400 burst - 64 frames of read credit) / 200 per second ~ 3.7 s.
  CHECK(std::chrono::steady_clock::now() - start >= 2500ms);
  require_round_trip(*a);
}

TEST_CASE("with --trust-proxy the limits apply to the forwarded client address", "[e2e][ratelimit]") {
  relay_process relay{{"--limit-loopback", "--trust-proxy", "--connections-per-ip", "1"}};  // burst 2
  int first_client = 0;
  for (int i = 0; i < 5; ++i) first_client += upgrade_with_forwarded_for(relay, "198.51.100.1, 203.0.113.7") ? 1 : 0;
  CHECK(first_client == 2);
  // Another client behind the same proxy has its own budget.
  CHECK(upgrade_with_forwarded_for(relay, "203.0.113.8"));
}

TEST_CASE("code requests over the per-connection budget get no answer until it refills", "[e2e][ratelimit]") {
  relay_process relay{{"--codes-per-connection", "30"}};  // burst 7, one back per 2 s
  auto owner = authed(relay, test_key(105));
  for (int i = 0; i < 7; ++i) CHECK_FALSE(owner->get_rendezvous().empty());
  CHECK_THROWS_AS(owner->get_rendezvous(1s), client::timeout_error);  // over budget: no answer
  std::this_thread::sleep_for(2500ms);
  CHECK_FALSE(owner->get_rendezvous(3s).empty());
}

TEST_CASE("code requests are limited per client IP across connections", "[e2e][ratelimit]") {
  relay_process relay{{"--limit-loopback", "--codes-per-ip", "8"}};  // burst 2, one back per 7.5 s
  auto first = authed(relay, test_key(106));
  auto second = authed(relay, test_key(107));
  CHECK_FALSE(first->get_rendezvous().empty());
  CHECK_FALSE(first->get_rendezvous().empty());
  // The second connection has its own per-connection budget, but the IP's is spent.
  CHECK_THROWS_AS(second->get_rendezvous(1s), client::timeout_error);
}

TEST_CASE("the per-connection message and byte caps accept 0 (no cap) and refuse negative values", "[e2e][ratelimit][cli]") {
  for (const char* flag : {"--messages-per-connection", "--bytes-per-connection"}) {
    INFO(flag);
    auto bad = run_program({(bin_dir() / "relay").string(), flag, "-1"}, 10s);
    CHECK(bad.exit_code == 2);
    relay_process relay{{flag, "0"}};
    auto a = authed(relay, test_key(108));
    require_round_trip(*a);
  }
}
