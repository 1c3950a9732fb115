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
  /// Bytes sent to one cluster peer and not yet acknowledged by it; beyond
  /// this, frames for that peer are dropped (and counted) instead of queued.
  std::size_t max_peer_backlog_bytes = 16 * 1024 * 1024;
};

}  // namespace relay
