// The rendezvous actor on its own: codes issued and claimed by messages from
// the test thread, with small caps and TTLs from relay_config.
#include <catch2/catch.hpp>

#include <optional>
#include <set>
#include <string>
#include <tuple>

#include "core_harness.hpp"

using namespace relay;
using namespace relay::test;
namespace proto = relay::protocol;

namespace {

struct rendezvous_client {
  core_under_test& c;
  caf::scoped_actor self{*c.sys};

  /// The code issued to `owner`, or nullopt when refused.
  std::optional<std::string> issue(const proto::fingerprint& owner) {
    std::optional<std::string> out;
    bool answered = false;
    self->request(c.core.rendezvous, wait_limit, issue_atom::value, owner)
      .receive(
        [&](const std::string& code) {
          out = code;
          answered = true;
        },
        [&](caf::error& e) { answered = e != caf::sec::request_timeout; });
    REQUIRE(answered);
    return out;
  }

  claim_result claim(const std::string& code) { return ask<claim_result>(self, c.core.rendezvous, claim_atom::value, code); }

  // Another node's claim, answered in the cluster's wire form.
  std::tuple<bool, proto::fingerprint> remote_claim(const std::string& code) {
    std::tuple<bool, proto::fingerprint> out;
    bool answered = false;
    self->request(c.core.rendezvous, wait_limit, remote_claim_atom::value, code)
      .receive(
        [&](bool found, const proto::fingerprint& owner) {
          out = {found, owner};
          answered = true;
        },
        [&](caf::error&) {});
    REQUIRE(answered);
    return out;
  }
};

}  // namespace

TEST_CASE("rendezvous: an issued code is claimed once", "[actors][rendezvous]") {
  core_under_test c;
  rendezvous_client r{c};
  auto owner = fp_of(1);
  auto code = r.issue(owner);
  REQUIRE(code);
  CHECK_FALSE(code->empty());
  CHECK(c.core.stats->codes_issued.load() == 1);
  CHECK(c.core.stats->live_codes.load() == 1);
  // Codes differ, even for the same owner.
  auto second = r.issue(owner);
  REQUIRE(second);
  CHECK(*second != *code);

  auto claimed = r.claim(*code);
  CHECK(claimed.found);
  CHECK(claimed.owner == owner);
  CHECK_FALSE(r.claim(*code).found);  // single use
  CHECK_FALSE(r.claim("no-such-code").found);
  CHECK(c.core.stats->codes_claimed.load() == 1);
  CHECK(c.core.stats->live_codes.load() == 1);

  // Another node's claim spends a code the same way.
  CHECK(r.remote_claim(*second) == std::tuple<bool, proto::fingerprint>{true, owner});
  CHECK_FALSE(std::get<0>(r.remote_claim(*second)));
  CHECK_FALSE(r.claim(*second).found);
  CHECK(c.core.stats->live_codes.load() == 0);
}

TEST_CASE("rendezvous: an identity's codes beyond its cap retire its oldest", "[actors][rendezvous]") {
  relay_config config;
  config.max_codes_per_identity = 3;
  core_under_test c{config};
  rendezvous_client r{c};
  auto owner = fp_of(1);
  auto other = fp_of(2);
  auto others_code = r.issue(other);
  REQUIRE(others_code);
  std::vector<std::string> codes;
  for (int i = 0; i < 5; ++i) {
    auto code = r.issue(owner);
    REQUIRE(code);
    codes.push_back(*code);
  }
  CHECK(c.core.stats->live_codes.load() == 4);  // three of owner's, one of other's
  CHECK_FALSE(r.claim(codes[0]).found);
  CHECK_FALSE(r.claim(codes[1]).found);
  for (int i = 2; i < 5; ++i) {
    auto claimed = r.claim(codes[i]);
    CHECK(claimed.found);
    CHECK(claimed.owner == owner);
  }
  auto others = r.claim(*others_code);
  CHECK(others.found);
  CHECK(others.owner == other);
}

TEST_CASE("rendezvous: the relay-wide cap refuses codes until one is spent", "[actors][rendezvous]") {
  relay_config config;
  config.max_live_codes = 2;
  core_under_test c{config};
  rendezvous_client r{c};
  auto first = r.issue(fp_of(1));
  REQUIRE(first);
  REQUIRE(r.issue(fp_of(2)));
  CHECK_FALSE(r.issue(fp_of(3)));
  CHECK(c.core.stats->codes_refused.load() == 1);
  REQUIRE(r.claim(*first).found);
  CHECK(r.issue(fp_of(3)));
}

TEST_CASE("rendezvous: a code expires after its TTL", "[actors][rendezvous]") {
  relay_config config;
  config.rendezvous_ttl = std::chrono::milliseconds(500);
  core_under_test c{config};
  rendezvous_client r{c};
  auto before_issue = std::chrono::steady_clock::now();
  auto claimed_early = r.issue(fp_of(1));
  auto left_alone = r.issue(fp_of(2));
  REQUIRE(claimed_early);
  REQUIRE(left_alone);
  auto early = r.claim(*claimed_early);
  // Answered within the TTL of the issue, the claim was in time (on a
  // stalled machine it may not be, and then proves nothing).
  bool in_time = std::chrono::steady_clock::now() - before_issue < config.rendezvous_ttl;
  if (in_time) CHECK(early.found);

  auto deadline = std::chrono::steady_clock::now() + wait_limit;
  while (c.core.stats->codes_expired.load() < 1 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(5ms);
  REQUIRE(c.core.stats->codes_expired.load() >= 1);
  CHECK(std::chrono::steady_clock::now() - before_issue >= config.rendezvous_ttl);
  CHECK_FALSE(r.claim(*left_alone).found);
  CHECK(c.core.stats->live_codes.load() == 0);
  // The claimed code's expiry (due first) found nothing to remove.
  std::this_thread::sleep_for(100ms);
  if (in_time) CHECK(c.core.stats->codes_expired.load() == 1);
}
