// Every tunable of the relay core, with the reference's defaults. The
// command line fills one of these; embedding programs build their own.
#pragma once

#include <chrono>
#include <cstddef>

namespace relay {

struct relay_config {
  /// Time a client has to answer the challenge (reference: 5 s).
  std::chrono::milliseconds auth_timeout{5'000};
  /// A connection that sends nothing (no frame, ping or pong) for this long is closed.
  std::chrono::milliseconds idle_timeout{120'000};
  /// Lifetime of an unclaimed rendezvous code (reference: 300 s).
  std::chrono::milliseconds rendezvous_ttl{300'000};
  /// Largest inbound WebSocket message; larger ones close the connection with 1009.
  std::size_t max_message = 16 * 1024 * 1024;
  /// Bytes queued for one client beyond which it is closed as a slow consumer.
  std::size_t max_outbound_bytes = 8 * 1024 * 1024;
  /// Frames read from one client but not yet processed by its actor before
  /// the session stops reading (TCP then slows the client down).
  std::size_t max_inflight_frames = 64;
  /// Bytes read from one client but not yet processed (at least one frame is always allowed).
  std::size_t max_inflight_bytes = 4 * 1024 * 1024;
  /// Live codes one identity may hold; issuing one more retires its oldest.
  std::size_t max_codes_per_identity = 8;
  /// Live codes relay-wide; beyond this GetRendezvous gets no answer.
  std::size_t max_live_codes = 100'000;
  /// Simultaneous connections of one identity; one more is refused with 1008.
  std::size_t max_connections_per_identity = 64;
  /// Connections (any phase) the relay accepts at once; beyond this new sockets are closed at once.
  std::size_t max_connections = 100'000;
  // --- rate limits (token buckets; see rate_limits.hpp) ---
  /// New connections per client IP per second (burst: twice that).
  double connections_per_ip_per_second = 20;
  /// Failed authentications per client IP per minute; when used up, new
  /// connections from that IP get HTTP 429 until the budget refills.
  double auth_failures_per_ip_per_minute = 10;
  /// GetIdentity attempts per connection per minute (burst: a quarter); the
  /// excess gets no answer, like an unknown code.
  double claims_per_connection_per_minute = 30;
  /// GetIdentity attempts per client IP per minute (burst: a quarter).
  double claims_per_ip_per_minute = 60;
  /// GetRendezvous requests per connection per minute (burst: a quarter); the
  /// excess gets no answer, like a request over the relay-wide code cap.
  double codes_per_connection_per_minute = 30;
  /// GetRendezvous requests per client IP per minute (burst: a quarter).
  double codes_per_ip_per_minute = 60;
  /// Messages per connection per second (burst: twice that); the excess is
  /// back-pressured (the relay reads that client more slowly), not dropped.
  /// 0: no cap (the default). Fairness between connections does not depend
  /// on it: each session reads at most max_inflight_frames ahead of its
  /// actor, and readers and actors are scheduled round-robin.
  double messages_per_connection_per_second = 0;
  /// Inbound bytes per connection per second (burst: twice that),
  /// back-pressured. 0: no cap (the default).
  double bytes_per_connection_per_second = 0;
  /// Apply the per-IP limits to loopback clients too (off: a local reverse
  /// proxy would put every client into one budget).
  bool limit_loopback = false;
  /// Take the client IP from the last X-Forwarded-For entry (behind a proxy).
  bool trust_proxy = false;
  /// Client IPs tracked at once by the per-IP limits.
  std::size_t max_tracked_ips = 100'000;

  /// Bytes sent to one cluster peer and not yet acknowledged by it; beyond
  /// this, frames for that peer are dropped (and counted) instead of queued.
  std::size_t max_peer_backlog_bytes = 16 * 1024 * 1024;
};

}  // namespace relay
