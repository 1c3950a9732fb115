// Graceful stop of real relay processes: SIGTERM turns /readyz to 503 at
// once, clients (old and new) are served through the drain period, then
// they get 1001 and the cluster's other nodes purge the node's routes at
// once because it told them it leaves (not when its link closes or times out).
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "admin_helpers.hpp"
#include "cluster_helpers.hpp"
#include "helpers.hpp"

using namespace relay;
using namespace relay::test;

namespace {

using steady = std::chrono::steady_clock;

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in{path};
  std::stringstream all;
  all << in.rdbuf();
  return all.str();
}

long long ms_since(steady::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - t).count();
}

}  // namespace

TEST_CASE("SIGTERM on a cluster node: 503 at once, served through the drain, then 1001 and routes purged elsewhere",
          "[e2e][cluster][shutdown]") {
  auto b_log = std::filesystem::temp_directory_path() / ("relay-test-leave-" + std::to_string(::getpid()) + ".log");
  // A --cluster-timeout far above the bounds below: only the leave message can be that fast.
  relay_process a({"--cluster-listen", "127.0.0.1:0", "--cluster-timeout", "30", "--admin-listen", "127.0.0.1:0",
                   "--drain-seconds", "2"});
  relay_process b({"--cluster-listen", "127.0.0.1:0", "--cluster-timeout", "30", "--admin-listen", "127.0.0.1:0",
                   "--peer", cluster_address(a)},
                  "relay", b_log.string());
  auto a_admin = admin_port(a);
  auto b_admin = admin_port(b);
  auto x = authed(a, test_key(180));
  auto y = authed(b, test_key(181));
  wait_routable(*x, *y);
  wait_routable(*y, *x);
  REQUIRE(http_get(a_admin, "/readyz").status == 200);

  auto signalled = steady::now();
  a.signal(SIGTERM);
  CHECK(wait_status(a_admin, "/readyz", 503, 2s) == 503);
  CHECK(ms_since(signalled) < 500);

  // Still serving: old clients both ways across the link, and a new client.
  y->send_to(x->fp(), bytes_of("during the drain"));
  CHECK(expect_payload(*x, bytes_of("during the drain"), 1s));
  auto late = authed(a, test_key(182));
  require_round_trip(*late, 1s);
  late->send_to(y->fp(), bytes_of("from a late client"));
  CHECK(expect_payload(*y, bytes_of("from a late client"), 1s));
  CHECK(http_get(a_admin, "/readyz").status == 503);
  CHECK(ms_since(signalled) < 2000);  // all of the above inside the drain period

  // The drain ends: 1001 for every client of A, and B drops A at once.
  auto closed = x->wait_closed(5s);
  REQUIRE(closed);
  CHECK(closed->code == 1001);
  auto drain_end = steady::now();
  CHECK(ms_since(signalled) >= 1900);
  auto late_closed = late->wait_closed(2s);
  REQUIRE(late_closed);
  CHECK(late_closed->code == 1001);
  auto m = scrape_until(b_admin, [](const metrics& now) { return value(now, "relay_cluster_peers") == 0; }, 3s);
  CHECK(value(m, "relay_cluster_peers") == 0);
  CHECK(ms_since(drain_end) < 1000);
  CHECK(a.wait_exit(5s) == 0);

  // B says A left (an explicit message), not that it was lost.
  auto log = read_file(b_log);
  INFO(log);
  CHECK(log.find("peer " + cluster_address(a) + " left") != std::string::npos);
  CHECK(log.find("peer " + cluster_address(a) + " lost") == std::string::npos);
  // B itself is unaffected.
  require_round_trip(*y);
  std::filesystem::remove(b_log);
}

TEST_CASE("a second SIGTERM during the drain stops the relay at once", "[e2e][shutdown]") {
  relay_process relay({"--drain-seconds", "30"});
  auto c = authed(relay, test_key(183));
  relay.signal(SIGTERM);
  std::this_thread::sleep_for(300ms);
  require_round_trip(*c, 2s);  // draining: still served
  CHECK_FALSE(c->wait_closed(200ms));
  auto second = steady::now();
  relay.signal(SIGTERM);
  auto closed = c->wait_closed(3s);
  REQUIRE(closed);
  CHECK(closed->code == 1001);
  CHECK(ms_since(second) < 2000);
  CHECK(relay.wait_exit(5s) == 0);
}
