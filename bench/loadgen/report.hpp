// The numbers a run produces, and their two renderings: JSON and a table.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "options.hpp"

namespace relay::bench {

struct report {
  const options* opt = nullptr;
  std::string scenario;  ///< "traffic", "auth-only" or "idle"

  std::uint32_t connections = 0;  ///< requested
  std::uint64_t connected = 0;    ///< authenticated (probe came back)
  double handshake_seconds = 0;
  double handshakes_per_s = 0;

  double measured_seconds = 0;
  std::uint64_t sent = 0, received = 0, expected = 0, lost = 0;  ///< whole run, after the drain
  double messages_per_s = 0;  ///< deliveries per second in the measured window
  double sends_per_s = 0;
  double mb_per_s = 0;        ///< payload megabytes (1e6) delivered per second

  std::uint64_t latency_count = 0;
  double p50_us = 0, p90_us = 0, p99_us = 0, max_us = 0;

  std::uint64_t errors = 0;
  std::vector<std::pair<std::string, std::uint64_t>> error_detail;

  int relay_pid = 0;
  bool relay_sampled = false;
  double relay_cpu_seconds = 0, relay_cpu_percent = 0;
  double relay_cpu_us_per_send = 0, relay_cpu_us_per_delivery = 0;
  std::uint64_t relay_rss_before_kib = 0, relay_rss_kib = 0;
  double relay_rss_per_connection_bytes = 0;  ///< idle scenario

  double loadgen_cpu_percent = 0;
  std::uint32_t threads = 1;
};

void write_json(std::ostream& out, const report& r);
void write_table(std::ostream& out, const report& r);

}  // namespace relay::bench
