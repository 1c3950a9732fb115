// The server's set of live connections, without sockets: the shutdown's
// close_all() reaches every live outbox and refuses late arrivals, and
// wait_until_empty() returns as soon as the last one is gone, or at its
// deadline.
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "outbox.hpp"
#include "session_tracker.hpp"

using namespace std::chrono_literals;
using relay::make_frame;
using relay::transport;
using relay::wire_format;
using relay::net::outbox;
using relay::net::session_tracker;

namespace {
std::shared_ptr<outbox> quiet_outbox(std::vector<unsigned>& wakes) {
  return std::make_shared<outbox>(wire_format::json, "127.0.0.1:9", outbox::limits{1 << 20, 8, 1 << 20}, nullptr,
                                  [&wakes](unsigned work) { wakes.push_back(work); });
}
}  // namespace

TEST_CASE("session tracker: close_all closes every live connection and refuses new ones", "[tracker]") {
  session_tracker tracker;
  std::vector<unsigned> wakes_a, wakes_b, wakes_c;
  auto a = quiet_outbox(wakes_a);
  auto b = quiet_outbox(wakes_b);
  REQUIRE(tracker.add(a));
  REQUIRE(tracker.add(b));
  {
    std::vector<unsigned> gone_wakes;
    auto gone = quiet_outbox(gone_wakes);
    REQUIRE(tracker.add(gone));
  }  // destroyed without remove(): skipped, not dereferenced
  CHECK(tracker.size() == 3);

  tracker.close_all([](transport& t) { t.close(relay::close_code::going_away, "server shutting down"); });
  CHECK(wakes_a == std::vector<unsigned>{outbox::arm_close | outbox::write});
  CHECK(wakes_b == std::vector<unsigned>{outbox::arm_close | outbox::write});
  auto step = a->next_write();
  REQUIRE(step.close);
  CHECK(step.close->code == relay::close_code::going_away);

  auto c = quiet_outbox(wakes_c);
  CHECK_FALSE(tracker.add(c));  // upgraded during the shutdown: it closes itself
}

TEST_CASE("session tracker: wait_until_empty returns when the last connection goes, or at the deadline", "[tracker]") {
  session_tracker tracker;
  std::vector<unsigned> wakes;
  auto a = quiet_outbox(wakes);
  auto b = quiet_outbox(wakes);
  REQUIRE(tracker.add(a));
  REQUIRE(tracker.add(b));

  auto start = std::chrono::steady_clock::now();
  CHECK_FALSE(tracker.wait_until_empty(start + 100ms));
  CHECK(std::chrono::steady_clock::now() - start >= 100ms);

  std::thread closer([&] {
    std::this_thread::sleep_for(50ms);
    tracker.remove(a.get());
    std::this_thread::sleep_for(50ms);
    tracker.remove(b.get());
  });
  start = std::chrono::steady_clock::now();
  CHECK(tracker.wait_until_empty(start + 10s));
  auto waited = std::chrono::steady_clock::now() - start;
  closer.join();
  CHECK(waited >= 90ms);
  CHECK(waited < 5s);  // woken by the last remove(), not by the deadline
  CHECK(tracker.size() == 0);
  tracker.remove(a.get());  // a second remove is harmless
  CHECK(tracker.wait_until_empty(std::chrono::steady_clock::now()));
}
