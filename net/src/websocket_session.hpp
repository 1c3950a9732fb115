// One upgraded WebSocket connection on its strand. Owns the socket (plain
// TCP or TLS): reads frames and hands them to its connection actor, writes
// what the actor queued in the session's outbox. It knows nothing of the
// protocol, and only its own handler chain keeps it alive (and itself, while
// reading waits for credit): the actor holds the outbox, never the session.
#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <optional>

#include <caf/actor.hpp>

#include "asio.hpp"
#include "outbox.hpp"
#include "relay/actors/relay_core.hpp"
#include "session_tracker.hpp"

namespace relay::net {

/// The session over one stream type: plain_stream or tls_stream (asio.hpp).
/// The member functions are defined and explicitly instantiated for those
/// two in websocket_session_impl.hpp (one .cpp each), so per-frame work has no virtual hop
/// beyond the transport interface itself.
template <class Stream>
class basic_websocket_session : public std::enable_shared_from_this<basic_websocket_session<Stream>> {
 public:
  /// `tls_context` (TLS only) is kept alive as long as the session, so a
  /// certificate reload never pulls it from under a live connection.
  basic_websocket_session(Stream&& stream, caf::actor_system& sys, relay_core core,
                          std::shared_ptr<session_tracker> tracker,
                          std::shared_ptr<ssl::context> tls_context = nullptr);
  ~basic_websocket_session();

  /// Completes the upgrade of `request` and starts serving.
  /// `peer_name` ("address:port") names the client in logs.
  void start(http::request<http::empty_body> request, std::string client_ip, std::string peer_name);

 private:
  using std::enable_shared_from_this<basic_websocket_session<Stream>>::shared_from_this;

  void on_accept(error_code ec);
  void wake(unsigned work);
  void read_next();
  void on_read_head(error_code ec, std::size_t bytes);
  void on_read_rest(error_code ec, std::size_t bytes);
  void read_failed(error_code ec);
  void deliver_frame();
  void write_next();
  void on_write(error_code ec, std::size_t bytes);
  void start_close(outbox::close_request request);
  void arm_kill_timer();
  void finish(const char* why);

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
  std::shared_ptr<outbox> outbox_;  // created in start(), once the format is known; holds the peer's address
  caf::actor actor_;                // from the upgrade until finish()
  // While reading is paused for credit no handler is pending, so the session
  // holds itself until the outbox wakes it (or it finishes).
  std::shared_ptr<basic_websocket_session> parked_;
  std::string client_ip_;
  std::chrono::steady_clock::time_point last_activity_note_{};
  bool tracked_ = false;  // in tracker_, from the upgrade on
  bool closing_started_ = false;
  bool finished_ = false;
};

using plain_websocket_session = basic_websocket_session<plain_stream>;
using tls_websocket_session = basic_websocket_session<tls_stream>;

}  // namespace relay::net
