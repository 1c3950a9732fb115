// Rendezvous codes over real sockets: issue, fan-out, single-use claim,
// expiry, owner gone and back, both spellings.
#include <regex>
#include <thread>

#include "admin_helpers.hpp"
#include "helpers.hpp"

using namespace relay;
using namespace relay::test;

namespace {

// The exact frame text of the next RendezvousInfo / RendevouzInfo.
std::string next_info_frame(connection& c) {
  for (int i = 0; i < 10; ++i) {
    auto e = c.next_event(5s);
    REQUIRE(e);
    REQUIRE(e->type == client::event::kind::text);
    if (e->data.find("ende") != std::string::npos || e->data.find("Rende") != std::string::npos) return e->data;
  }
  FAIL("no rendezvous info");
  return {};
}

}  // namespace

TEST_CASE("GetRendezvous returns a well-formed code to every device of the identity", "[e2e][rendezvous]") {
  relay_process relay;
  auto key = test_key(10);
  auto phone = authed(relay, key);
  auto laptop = authed(relay, key);
  require_round_trip(*phone);  // both devices joined (round trip reaches both)
  require_round_trip(*laptop);
  // Drain the copies of the round trips each device received.
  while (phone->next_event(200ms)) {}
  while (laptop->next_event(200ms)) {}

  auto code = phone->get_rendezvous();
  CHECK(std::regex_match(code, std::regex("[A-Z0-9]{3}-[A-Z0-9]{3}-[A-Z0-9]{3}")));
  auto msg = laptop->receive(5s);
  REQUIRE(msg);
  auto* info = std::get_if<protocol::rendezvous_info>(&*msg);
  REQUIRE(info != nullptr);
  CHECK(info->code == code);
}

TEST_CASE("the reply uses the spelling of the request", "[e2e][rendezvous]") {
  relay_process relay;
  auto c = authed(relay, test_key(11));
  c->send_text("\"GetRendevouz\"");
  auto seed = next_info_frame(*c);
  CHECK(std::regex_match(seed, std::regex(R"(\{"RendevouzInfo":\{"code":"[A-Z0-9]{3}-[A-Z0-9]{3}-[A-Z0-9]{3}"\}\})")));
  c->send_text("\"GetRendezvous\"");
  auto current = next_info_frame(*c);
  CHECK(std::regex_match(current, std::regex(R"(\{"RendezvousInfo":\{"code":"[A-Z0-9]{3}-[A-Z0-9]{3}-[A-Z0-9]{3}"\}\})")));
  c->send_text("{\"GetRendezvous\":null}");
  CHECK(next_info_frame(*c).rfind("{\"RendezvousInfo\"", 0) == 0);
}

TEST_CASE("a claim returns the owner's exact identity bytes, once", "[e2e][rendezvous]") {
  relay_process relay;
  auto owner_key = test_key(12);
  auto owner = authed(relay, owner_key);
  auto claimer = authed(relay, test_key(13));
  auto claimer2 = authed(relay, test_key(14));
  auto code = owner->get_rendezvous();

  auto info = claimer->claim(code);
  REQUIRE(info);
  CHECK(info->fp == owner_key.fp());
  CHECK(info->id.cose_key_bytes == owner_key.cose_key_bytes());

  // Single use: neither the same client nor another gets an answer.
  CHECK_FALSE(claimer->claim(code, 700ms));
  CHECK_FALSE(claimer2->claim(code, 700ms));
  require_round_trip(*claimer2);
}

TEST_CASE("IdentityInfo goes to every device of the claimer", "[e2e][rendezvous]") {
  relay_process relay;
  auto owner = authed(relay, test_key(15));
  auto claimer_key = test_key(16);
  auto claimer_a = authed(relay, claimer_key);
  auto claimer_b = authed(relay, claimer_key);
  require_round_trip(*claimer_b);
  while (claimer_a->next_event(200ms)) {}
  auto code = owner->get_rendezvous();
  REQUIRE(claimer_a->claim(code));
  auto msg = claimer_b->receive(5s);
  REQUIRE(msg);
  CHECK(std::holds_alternative<protocol::identity_info>(*msg));
}

TEST_CASE("unknown, expired and owner-gone codes get no reply", "[e2e][rendezvous]") {
  relay_process relay{{"--rendezvous-ttl", "1", "--admin-listen", "127.0.0.1:0"}};
  auto claimer = authed(relay, test_key(17));

  SECTION("unknown") { CHECK_FALSE(claimer->claim("AAA-BBB-CCC", 700ms)); }
  SECTION("malformed code") { CHECK_FALSE(claimer->claim("not a code", 700ms)); }
  SECTION("expired") {
    auto owner = authed(relay, test_key(18));
    auto code = owner->get_rendezvous();
    std::this_thread::sleep_for(1500ms);
    CHECK_FALSE(claimer->claim(code, 700ms));
  }
  SECTION("owner gone: no reply, and the code is spent") {
    std::string code;
    {
      auto owner = authed(relay, test_key(19));
      code = owner->get_rendezvous();
      owner->close();
      REQUIRE(owner->wait_closed(5s));
    }
    std::this_thread::sleep_for(300ms);
    CHECK_FALSE(claimer->claim(code, 700ms));
    auto after_first = scrape(admin_port(relay));
    CHECK(value(after_first, "relay_codes_claimed_total") == 1);
    CHECK(value(after_first, "relay_claims_owner_absent_total") == 1);
    // The owner comes back within the code's lifetime: the claim above used it up.
    auto back = authed(relay, test_key(19));
    require_round_trip(*back);
    CHECK_FALSE(claimer->claim(code, 700ms));
    auto after_second = scrape(admin_port(relay));
    CHECK(value(after_second, "relay_codes_claimed_total") == 1);
    CHECK(value(after_second, "relay_claims_owner_absent_total") == 1);  // unknown now, not absent
  }
  // The claimer is still connected and served after every non-answer.
  require_round_trip(*claimer);
}

TEST_CASE("a code outlives its owner's connection: claimed after the owner reconnects", "[e2e][rendezvous]") {
  relay_process relay;
  auto owner_key = test_key(22);
  auto claimer = authed(relay, test_key(23));
  std::string code;
  {
    auto owner = authed(relay, owner_key);
    code = owner->get_rendezvous();
    owner->close();
    REQUIRE(owner->wait_closed(5s));
  }
  std::this_thread::sleep_for(300ms);  // the relay has seen the owner leave
  auto owner = authed(relay, owner_key);  // as the reference client does: reconnect, same key
  // Authentication success is silent: a round trip shows the owner joined
  // (a claim racing the owner's own join finds nobody, as it should).
  require_round_trip(*owner);
  auto info = claimer->claim(code);
  REQUIRE(info);
  CHECK(info->fp == owner_key.fp());
  CHECK(info->id.cose_key_bytes == owner_key.cose_key_bytes());
  CHECK_FALSE(claimer->claim(code, 700ms));  // still single use
}

TEST_CASE("a code issued by one device is answered while another device of the identity stays",
          "[e2e][rendezvous]") {
  relay_process relay;
  auto owner_key = test_key(24);
  auto phone = authed(relay, owner_key);
  auto laptop = authed(relay, owner_key);
  auto claimer = authed(relay, test_key(25));
  require_round_trip(*laptop);
  auto code = phone->get_rendezvous();
  phone->close();
  REQUIRE(phone->wait_closed(5s));
  std::this_thread::sleep_for(300ms);
  auto info = claimer->claim(code);
  REQUIRE(info);
  CHECK(info->id.cose_key_bytes == owner_key.cose_key_bytes());
}

TEST_CASE("issuing more codes than the per-identity cap retires the oldest", "[e2e][rendezvous]") {
  relay_process relay{{"--max-codes-per-identity", "2"}};
  auto owner = authed(relay, test_key(20));
  auto claimer = authed(relay, test_key(21));
  auto first = owner->get_rendezvous();
  auto second = owner->get_rendezvous();
  auto third = owner->get_rendezvous();
  CHECK_FALSE(claimer->claim(first, 700ms));
  CHECK(claimer->claim(second));
  CHECK(claimer->claim(third));
}
