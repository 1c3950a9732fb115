// Fair credit on a cluster link: with the peer stalled (SIGSTOP, shorter
// than the cluster timeout: 30 s, which even a ThreadSanitizer build taking
// in the heavy pair's 24 MiB stays well inside), one heavy pair pushes more than the 16 MiB
// per-peer backlog across the link, then a light pair sends 1 MiB. The
// heavy pair loses its own frames; the light pair's all arrive, in order,
// once the peer resumes. (With one shared cap the heavy pair filled it and
// the light pair lost nearly everything.) Prints the numbers.
#include <signal.h>

#include <cstdio>

#include "cluster_helpers.hpp"
#include "helpers.hpp"

using namespace relay;
using namespace relay::test;

TEST_CASE("a heavy pair filling the peer backlog loses its own frames, not a light pair's", "[e2e][cluster][fairness]") {
  std::vector<std::string> common{"--cluster-timeout", "30", "--bytes-per-connection", "1000000000",
                                  "--messages-per-connection", "100000", "--max-outbound", "67108864",
                                  "--admin-listen", "127.0.0.1:0"};
  auto with = [&](std::vector<std::string> v) {
    v.insert(v.end(), common.begin(), common.end());
    return v;
  };
  relay_process a(with({"--cluster-listen", "127.0.0.1:0"}));
  relay_process b(with({"--cluster-listen", "127.0.0.1:0", "--peer", cluster_address(a)}));
  auto heavy = authed(a, test_key(140));
  auto heavy_to = authed(b, test_key(141));
  auto light = authed(a, test_key(142));
  auto light_to = authed(b, test_key(143));
  wait_routable(*heavy, *heavy_to);
  wait_routable(*light, *light_to);

  constexpr int heavy_count = 400;            // 400 x 60 KiB = 24 MiB > the 16 MiB backlog
  constexpr std::size_t heavy_size = 60 * 1024;
  constexpr int light_count = 50;             // 50 x 20 KiB = 1 MiB
  constexpr std::size_t light_size = 20 * 1024;
  b.signal(SIGSTOP);
  {
    protocol::byte_vector payload(heavy_size, 'h');
    for (int i = 0; i < heavy_count; ++i) heavy->send_to(heavy_to->fp(), payload);
  }
  require_round_trip(*heavy, 20s);  // A has taken (forwarded or dropped) every heavy frame
  // Only now the light pair: the backlog is as full as the heavy pair could make it.
  for (int i = 0; i < light_count; ++i) {
    auto payload = bytes_of("light " + std::to_string(i) + " ");
    payload.resize(light_size, 'l');
    light->send_to(light_to->fp(), payload);
  }
  require_round_trip(*light);
  b.signal(SIGCONT);

  int light_received = 0, light_out_of_order = 0;
  for (int i = 0; i < light_count; ++i) {
    auto s = next_send(*light_to, 15s);
    if (!s) break;
    auto prefix = "light " + std::to_string(i) + " ";
    if (std::string(s->payload.begin(), s->payload.end()).rfind(prefix, 0) != 0) ++light_out_of_order;
    ++light_received;
  }
  int heavy_received = 0;
  while (auto s = next_send(*heavy_to, 2s)) ++heavy_received;
  std::printf("fair credit: heavy pair sent %d x %zu B, %d arrived (%d dropped); light pair sent %d x %zu B, %d "
              "arrived, %d out of order\n",
              heavy_count, heavy_size, heavy_received, heavy_count - heavy_received, light_count, light_size,
              light_received, light_out_of_order);
  std::fflush(stdout);
  CHECK(light_received == light_count);
  CHECK(light_out_of_order == 0);
  CHECK(heavy_received < heavy_count);  // the backlog did fill: the heavy pair paid for it
  CHECK(heavy_received > 0);
}
