// Cluster pieces shared by the end-to-end tests: starting relay processes
// as cluster nodes on loopback and waiting until routes have spread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "helpers.hpp"

namespace relay::test {

// A relay process that is a cluster node; `peers` are cluster addresses.
inline std::unique_ptr<relay_process> start_node(const std::vector<std::string>& peers) {
  std::vector<std::string> args{"--cluster-listen", "127.0.0.1:0", "--cluster-timeout", "2"};
  for (const auto& p : peers) {
    args.push_back("--peer");
    args.push_back(p);
  }
  return std::make_unique<relay_process>(args);
}

inline std::string cluster_address(const relay_process& node) {
  const std::string prefix = "cluster listening on ";
  for (const auto& line : node.startup_lines())
    if (line.rfind(prefix, 0) == 0) return line.substr(prefix.size(), line.find(' ', prefix.size()) - prefix.size());
  FAIL("node printed no cluster address");
  return {};
}

// Waits for a Send carrying exactly `payload`, skipping others.
inline bool expect_payload(connection& c, const protocol::byte_vector& payload, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    auto s = next_send(c, left);
    if (!s) return false;
    if (s->payload == payload) return true;
  }
  return false;
}

// Membership and routes spread asynchronously: probe until `to` is
// reachable from `from` (bounded), then let stray probes drain.
inline void wait_routable(connection& from, connection& to, std::chrono::milliseconds timeout = 15s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (int i = 0; std::chrono::steady_clock::now() < deadline; ++i) {
    auto probe = bytes_of("probe-" + std::to_string(i));
    from.send_to(to.fp(), probe);
    if (expect_payload(to, probe, 300ms)) {
      while (to.next_event(300ms)) {}
      return;
    }
  }
  FAIL("destination never became reachable across the cluster");
}

}  // namespace relay::test
