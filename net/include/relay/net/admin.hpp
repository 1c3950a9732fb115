// The admin endpoint: Prometheus metrics and health checks on a separate,
// plain-HTTP port (no TLS, no auth: loopback unless explicitly allowed).
//   GET /metrics  Prometheus text format (metadata counters only, never payloads)
//   GET /healthz  200 while the process serves HTTP at all
//   GET /readyz   200 when the WebSocket listener accepts and is neither
//                 draining nor shutting down and, in a cluster started with
//                 --peer, a peer is joined; else 503
// Anything else is 404 (405 for other methods). One request per connection.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "relay/actors/relay_core.hpp"

namespace relay::net {

struct admin_options {
  bool enabled = false;        ///< off unless --admin-listen is given
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;      ///< 0 picks a free port (see admin_server::port())
  bool expect_peers = false;   ///< --peer configured: /readyz also waits for a joined peer
};

/// True for 127.0.0.0/8, ::1 and IPv4-mapped loopback; false for anything
/// else, including names and malformed addresses.
bool is_loopback_host(const std::string& host);

/// The /metrics body for `core` (Prometheus text exposition format 0.0.4).
std::string render_metrics(const relay_core& core);

class admin_server {
 public:
  /// `accepting` says whether the relay's listener is accepting right now.
  admin_server(relay_core core, admin_options opts, std::function<bool()> accepting);
  ~admin_server();  ///< stops (joins its thread)
  admin_server(const admin_server&) = delete;
  admin_server& operator=(const admin_server&) = delete;

  /// Binds, listens and starts its own network thread. Throws
  /// std::system_error when the address cannot be bound.
  void start();
  std::uint16_t port() const;
  /// "http://HOST:PORT" (IPv6 hosts in brackets). Valid after start().
  std::string url() const;
  /// Whether /readyz answers 200 right now.
  bool ready() const;
  void stop();

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace relay::net
