// What a connection actor needs from the socket side. The net layer
// implements it for WebSocket sessions; tests or other transports may too.
// Every member is thread-safe: actors call them from scheduler threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "relay/actors/frame.hpp"

namespace relay {

class transport {
 public:
  virtual ~transport() = default;

  /// The wire format the client chose at upgrade. Fixed for the
  /// transport's lifetime; frames given to send() must be in it.
  virtual wire_format format() const = 0;

  /// Queues a frame in format(): a text frame for JSON, a binary frame for
  /// the binary dialect. Never blocks. When the client's queue would exceed
  /// its bound, the transport closes the client as a slow consumer instead
  /// (and the actor later receives `closed`).
  virtual void send(shared_frame frame) = 0;

  /// Sends a close frame with `code` and `reason` after the frames already
  /// queued, then shuts the socket. Idempotent.
  virtual void close(std::uint16_t code, std::string reason) = 0;

  /// The actor has finished with one inbound frame of `bytes` bytes
  /// (credit-based reading: the session resumes reading when credit returns).
  virtual void frame_consumed(std::size_t bytes) = 0;

  /// Remote address, for logs ("127.0.0.1:50312").
  virtual std::string peer() const = 0;
};

using transport_ptr = std::shared_ptr<transport>;

/// WebSocket close codes the relay uses.
namespace close_code {
inline constexpr std::uint16_t normal = 1000;
inline constexpr std::uint16_t going_away = 1001;
inline constexpr std::uint16_t policy_violation = 1008;
inline constexpr std::uint16_t too_big = 1009;
inline constexpr std::uint16_t try_again_later = 1013;
}  // namespace close_code

}  // namespace relay
