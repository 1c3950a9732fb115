// The examples, run as the programs a user would run, exercise the
// extension points: a service actor, an admission policy, an observer.
#include <regex>

#include "helpers.hpp"

using namespace relay;
using namespace relay::test;

TEST_CASE("echo_service: the service actor answers a client with its own fingerprint as source",
          "[e2e][examples][extensions]") {
  relay_process relay{{}, "echo_service"};
  REQUIRE(relay.startup_lines().size() == 1);
  std::smatch m;
  REQUIRE(std::regex_match(relay.startup_lines()[0], m, std::regex("echo service: ([0-9a-f]{64})")));
  protocol::byte_vector service_fp_bytes;
  REQUIRE(protocol::from_hex(m[1].str(), service_fp_bytes));
  protocol::fingerprint service_fp{};
  std::copy(service_fp_bytes.begin(), service_fp_bytes.end(), service_fp.begin());

  auto a = authed(relay, test_key(70));
  auto b = authed(relay, test_key(71));
  a->send_to(service_fp, bytes_of("echo me"));
  b->send_to(service_fp, bytes_of("and me"));
  auto ra = next_send(*a);
  auto rb = next_send(*b);
  REQUIRE(ra);
  REQUIRE(rb);
  CHECK(ra->source == service_fp);
  CHECK(ra->destination == a->fp());
  CHECK(ra->payload == bytes_of("echo me"));
  CHECK(rb->payload == bytes_of("and me"));
}

TEST_CASE("allowlist_policy: a listed client passes, another is closed with 1008 and the reason",
          "[e2e][examples][extensions]") {
  auto listed = test_key(72);
  auto stranger = test_key(73);
  relay_process relay{{"--allow", protocol::to_hex(listed.fp())}, "allowlist_policy"};

  auto ok = authed(relay, listed);
  require_round_trip(*ok);

  auto refused = connection::open(relay.url());
  refused->authenticate(stranger);
  auto closed = refused->wait_closed(5s);
  REQUIRE(closed);
  CHECK(closed->code == 1008);
  CHECK(closed->reason == "identity not on the allow-list");
  require_round_trip(*ok);  // unaffected
}

TEST_CASE("embedded_relay: the observer sees a scripted session's events and no payload bytes",
          "[e2e][examples][extensions]") {
  relay_process relay{{}, "embedded_relay"};
  auto a_key = test_key(74);
  auto b_key = test_key(75);
  const std::string secret = "SECRET-PAYLOAD-MARKER";
  {
    auto a = authed(relay, a_key);
    auto b = authed(relay, b_key);
    require_round_trip(*b);  // b -> b
    for (int i = 0; i < 3; ++i) a->send_to(b_key.fp(), bytes_of(secret));
    for (int i = 0; i < 3; ++i) REQUIRE(next_send(*b));
    a->close();
    b->close();
    REQUIRE(a->wait_closed(5s));
    REQUIRE(b->wait_closed(5s));
  }
  // connected x2, authenticated x2, routed x4 (1 round trip + 3), disconnected x2
  std::vector<std::string> lines;
  while (lines.size() < 10) {
    auto line = relay.read_line(5s);
    if (!line) break;
    lines.push_back(*line);
  }
  REQUIRE(lines.size() == 10);
  auto count = [&](const std::string& what) {
    return std::count_if(lines.begin(), lines.end(), [&](const std::string& l) { return l.rfind("event=" + what + " ", 0) == 0; });
  };
  CHECK(count("connected") == 2);
  CHECK(count("authenticated") == 2);
  CHECK(count("routed") == 4);
  CHECK(count("disconnected") == 2);
  auto a_short = protocol::to_hex(a_key.fp()).substr(0, 16);
  auto b_short = protocol::to_hex(b_key.fp()).substr(0, 16);
  auto expected_route = "event=routed fp=" + a_short + " to=" + b_short + " bytes=" + std::to_string(secret.size());
  CHECK(std::count(lines.begin(), lines.end(), expected_route) == 3);
  for (const auto& l : lines) {
    INFO(l);
    CHECK(l.find(secret) == std::string::npos);
    CHECK(l.find(protocol::to_hex(bytes_of(secret))) == std::string::npos);
  }
}
