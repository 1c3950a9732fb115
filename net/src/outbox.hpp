// The half of a WebSocket connection that other threads touch: the queue of
// outbound frames, the pending close, and the inbound credit. The connection
// actor holds it as its transport; the session that owns the socket drains
// it on its strand. No Asio types: it is tested without sockets.
//
// Who owns what:
//   - any thread (the transport calls): send(), close(), frame_consumed();
//   - the session's strand only: may_read(), delivered(), next_write(),
//     write_done(), shut().
// The session learns that it has work through the waker it gives at
// construction, called outside the lock, at most once per idle-to-busy
// change (a `Send` to a busy connection only queues).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "relay/actors/stats.hpp"
#include "relay/actors/transport.hpp"
#include "frame_fifo.hpp"
#include "queue_gauge.hpp"

namespace relay::net {

class outbox final : public transport {
 public:
  struct limits {
    std::size_t max_queued_bytes;    ///< beyond this the client is closed as a slow consumer
    std::size_t max_inflight_frames; ///< inbound frames handed to the actor, not yet consumed
    std::size_t max_inflight_bytes;  ///< the same in bytes
  };

  /// What the session has to do; the waker's argument is a set of these.
  enum work : unsigned {
    write = 1,        ///< frames (or the close) wait and no write is in progress
    arm_close = 2,    ///< a close was requested: start the grace timer
    resume_read = 4,  ///< credit came back after reading paused
  };
  using waker = std::function<void(unsigned work)>;

  struct close_request {
    std::uint16_t code;
    std::string reason;
  };

  /// The next thing to write, from next_write().
  struct write_step {
    shared_frame frame;                  ///< a frame to write, or null
    std::optional<close_request> close;  ///< else the close, once everything queued is written
  };

  outbox(wire_format format, std::string peer, limits lim, std::shared_ptr<relay_stats> stats, waker wake);

  // transport (any thread)
  wire_format format() const override { return format_; }
  void send(shared_frame frame) override;
  void close(std::uint16_t code, std::string reason) override;
  void frame_consumed(std::size_t bytes) override;
  std::string peer() const override { return peer_; }

  /// The remote address, for the session's own log lines.
  const std::string& peer_name() const noexcept { return peer_; }

  // --- the session's strand ---

  /// Whether the session may read the next frame. False when the actor
  /// holds its whole inbound credit: reading pauses (TCP slows the client)
  /// until frame_consumed() gives credit back and wakes resume_read.
  bool may_read();
  /// One inbound frame of `bytes` bytes is handed to the actor.
  void delivered(std::size_t bytes);
  /// Takes the next frame to write; with none, the close if one is pending
  /// (after which nothing else is written), else marks writing idle.
  write_step next_write();
  /// The frame from next_write() is written (or failed).
  void write_done();
  /// The socket is gone: drops every queued frame; later sends are dropped.
  void shut();

 private:
  bool credit_exhausted() const;
  /// Under mutex_: claims the writer; true if the session must be woken.
  bool claim_writer();

  // Fixed at construction.
  const wire_format format_;
  const std::string peer_;
  const limits limits_;
  const std::shared_ptr<relay_stats> stats_;
  const waker wake_;

  // Inbound credit: the strand adds, the actor's thread gives back.
  std::atomic<std::size_t> inflight_frames_{0};
  std::atomic<std::size_t> inflight_bytes_{0};
  std::atomic<bool> read_paused_{false};

  // Outbound, guarded by mutex_.
  std::mutex mutex_;
  frame_fifo queue_;
  std::size_t queued_bytes_ = 0;  // including the frame being written
  queue_gauge queued_gauge_{stats_};
  bool writing_ = false;          // the session is (or is about to be) writing
  bool close_requested_ = false;  // nothing more is queued
  std::optional<close_request> pending_close_;
  shared_frame in_flight_;        // alive while the session writes it
};

}  // namespace relay::net
