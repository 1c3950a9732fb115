// One upgraded WebSocket connection. Owns the socket (plain TCP or TLS),
// reads frames and hands them to its connection actor, writes the frames
// the actor queues. It knows nothing of the protocol.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>

#include <caf/actor.hpp>

#include "asio.hpp"
#include "relay/actors/relay_core.hpp"
#include "relay/actors/transport.hpp"
#include "frame_fifo.hpp"
#include "queue_gauge.hpp"
#include "session_tracker.hpp"

namespace relay::net {

/// What the rest of the net layer sees of a session, whatever runs under
/// it (the tracker closes them all at shutdown through this).
class websocket_session : public transport {};

/// The session over one stream type: plain_stream or tls_stream (asio.hpp).
/// The member functions are defined and explicitly instantiated for those
/// two in websocket_session_impl.hpp (one .cpp each), so per-frame work has no virtual hop
/// beyond the transport interface itself.
template <class Stream>
class basic_websocket_session : public websocket_session,
                                public std::enable_shared_from_this<basic_websocket_session<Stream>> {
 public:
  /// `tls_context` (TLS only) is kept alive as long as the session, so a
  /// certificate reload never pulls it from under a live connection.
  basic_websocket_session(Stream&& stream, caf::actor_system& sys, relay_core core,
                          std::shared_ptr<session_tracker> tracker,
                          std::shared_ptr<ssl::context> tls_context = nullptr);
  ~basic_websocket_session() override;

  /// Completes the upgrade of `request` and starts serving.
  void start(http::request<http::empty_body> request, std::string client_ip);

  // transport
  wire_format format() const override { return format_; }
  void send(shared_frame frame) override;
  void close(std::uint16_t code, std::string reason) override;
  void frame_consumed(std::size_t bytes) override;
  std::string peer() const override { return peer_; }

 private:
  using std::enable_shared_from_this<basic_websocket_session<Stream>>::shared_from_this;

  void on_accept(error_code ec);
  void read_next();
  void on_read_head(error_code ec, std::size_t bytes);
  void on_read_rest(error_code ec, std::size_t bytes);
  void read_failed(error_code ec);
  void deliver_frame();
  void write_next();
  void on_write(error_code ec, std::size_t bytes);
  void start_close();
  void arm_kill_timer();
  void finish(const char* why);
  bool credit_exhausted() const;

  // Declared first, so destroyed last: the tracker forgets this session only
  // after every other member (Beast's stream, the socket) is gone, so an
  // empty tracker means no session still uses the io_context's services
  // (serve_until_signal waits for that before destroying them).
  struct tracker_entry {
    std::shared_ptr<session_tracker> tracker;
    websocket_session* session;
    ~tracker_entry() { tracker->remove(session); }
  } tracker_entry_;
  std::shared_ptr<ssl::context> tls_context_;  // outlives ws_
  websocket::stream<Stream> ws_;
  // Between frames the pending read targets read_head_, inside this object:
  // an idle connection holds no read memory on the heap (a whole-message
  // read would reserve Beast's 1.5 KiB read size up front). A frame that
  // does not fit there continues into read_text_, which then becomes the
  // actor's inbound_frame (no further copy).
  static constexpr std::size_t read_head_bytes = 512;
  std::array<char, read_head_bytes> read_head_;
  std::string read_text_;
  std::optional<asio::dynamic_string_buffer<char, std::char_traits<char>, std::allocator<char>>> read_buffer_;
  connection_timer kill_timer_;
  caf::actor_system& sys_;
  relay_core core_;
  std::shared_ptr<session_tracker> tracker_;
  caf::actor actor_;
  std::string peer_;
  std::string client_ip_;
  wire_format format_ = wire_format::json;  // set in start(), before the actor exists

  // Inbound credit: frames/bytes handed to the actor and not yet consumed.
  std::atomic<std::size_t> inflight_frames_{0};
  std::atomic<std::size_t> inflight_bytes_{0};
  std::atomic<bool> read_paused_{false};
  std::chrono::steady_clock::time_point last_activity_note_{};

  // Outbound queue, shared between the actor's thread and the strand.
  std::mutex out_mutex_;
  frame_fifo out_queue_;
  std::size_t out_bytes_ = 0;  // bytes queued, including the frame being written
  queue_gauge queued_gauge_{core_.stats};  // out_bytes_ mirrored into the metrics
  bool writing_ = false;       // a write (or the close) is in progress on the strand
  bool close_requested_ = false;
  std::optional<websocket::close_reason> pending_close_;
  shared_frame in_flight_;  // keeps the frame alive while Beast writes it

  // Strand-only state.
  bool closing_started_ = false;
  bool finished_ = false;
};

using plain_websocket_session = basic_websocket_session<plain_stream>;
using tls_websocket_session = basic_websocket_session<tls_stream>;

}  // namespace relay::net
