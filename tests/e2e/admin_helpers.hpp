// The admin endpoint seen from a test: one HTTP request over a real socket,
// Prometheus text parsed into name -> value, bounded polls of both.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <thread>

#include "helpers.hpp"

namespace relay::test {

using metrics = std::map<std::string, double>;

struct http_reply {
  int status = 0;
  std::string headers;
  std::string body;
};

// One request over bash's /dev/tcp (the admin port answers once and closes).
inline http_reply http_request(std::uint16_t port, const std::string& method, const std::string& path) {
  auto r = run_program({"/usr/bin/env", "bash", "-c",
                        "exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(port) + "; printf '" + method + " " + path +
                          " HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nConnection: close\\r\\n\\r\\n' >&3; timeout 5 cat <&3"},
                       10s);
  INFO("request " << method << " " << path << ": " << r.out << r.err);
  REQUIRE(r.out.rfind("HTTP/1.1 ", 0) == 0);
  http_reply reply;
  reply.status = std::stoi(r.out.substr(9, 3));
  auto split = r.out.find("\r\n\r\n");
  REQUIRE(split != std::string::npos);
  reply.headers = r.out.substr(0, split);
  reply.body = r.out.substr(split + 4);
  return reply;
}

inline http_reply http_get(std::uint16_t port, const std::string& path) { return http_request(port, "GET", path); }

inline metrics parse_metrics(const std::string& body) {
  metrics out;
  std::istringstream in{body};
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto space = line.rfind(' ');
    REQUIRE(space != std::string::npos);
    out[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return out;
}

inline metrics scrape(std::uint16_t port) {
  auto reply = http_get(port, "/metrics");
  REQUIRE(reply.status == 200);
  return parse_metrics(reply.body);
}

inline double value(const metrics& m, const std::string& name) {
  auto it = m.find(name);
  INFO("metric " << name);
  REQUIRE(it != m.end());
  return it->second;
}

// Scrapes until `done` holds (bounded); returns the last scrape.
inline metrics scrape_until(std::uint16_t port, const std::function<bool(const metrics&)>& done,
                     std::chrono::milliseconds timeout = 5s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto m = scrape(port);
    if (done(m) || std::chrono::steady_clock::now() >= deadline) return m;
    std::this_thread::sleep_for(50ms);
  }
}

inline int wait_status(std::uint16_t port, const std::string& path, int want, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto status = http_get(port, path).status;
    if (status == want || std::chrono::steady_clock::now() >= deadline) return status;
    std::this_thread::sleep_for(200ms);
  }
}

}  // namespace relay::test
