// One load-generator connection: Beast upgrades the socket and reads the
// challenge; the client library's codec builds the AuthResponse and every
// Send and decodes every received frame; after authentication frames are
// written raw, many per syscall, from a per-connection buffer.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "run_state.hpp"
#include "ws_frame.hpp"

namespace relay::bench {

class worker;

class connection {
 public:
  connection(worker& w, std::uint32_t index);
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  void start();          ///< connect, upgrade, authenticate, probe
  void start_traffic();  ///< senders only
  void close();          ///< clean close at the end of the run

  /// One of this connection's messages reached a receiver.
  void delivered() noexcept { ++delivered_; }
  /// Closed loop: sends while the window has room.
  void pump();

  bool alive() const noexcept { return !dead_ && !finished_; }

 private:
  using tcp = boost::asio::ip::tcp;
  using error_code = boost::system::error_code;

  void on_connect(error_code ec);
  void on_upgrade(error_code ec);
  void on_challenge(error_code ec);
  void on_auth_written(error_code ec);
  void read_more();
  void on_read(error_code ec, std::size_t n);
  void on_frame(const server_frame& f, connection*& credited);
  /// A complete message frame (text for JSON, binary for the binary dialect).
  void on_message(std::string_view bytes, connection*& credited);
  /// The frame kind messages travel in for this run's wire format.
  opcode message_opcode() const;
  void on_tick(error_code ec);
  void queue_data();
  void queue_probe();
  void flush();
  void on_written(error_code ec);
  void fail(counter& reason);
  void finish();

  tcp::socket& socket() { return ws_.next_layer(); }

  worker& w_;
  const std::uint32_t index_;
  const std::uint32_t mask_key_;
  boost::beast::websocket::stream<tcp::socket> ws_;
  std::optional<boost::beast::flat_buffer> handshake_buffer_;  ///< only until authenticated
  std::optional<boost::beast::websocket::response_type> upgrade_response_;  ///< only during the upgrade
  std::string auth_text_;

  std::vector<char> rbuf_;
  std::size_t rlen_ = 0;
  std::string fragments_;  ///< a fragmented text message being assembled (rare)
  bool in_fragment_ = false;

  std::string writing_buf_;  ///< frames in the write in progress
  std::string pending_buf_;  ///< frames queued behind it
  bool writing_ = false;

  std::optional<boost::asio::steady_timer> timer_;  ///< open loop only
  std::uint64_t next_send_ns_ = 0;
  std::uint64_t period_ns_ = 0;

  std::uint64_t sent_ = 0;
  std::uint64_t delivered_ = 0;      ///< deliveries of our messages seen by receivers
  std::uint64_t next_expected_ = 0;  ///< next sequence number from our sender
  bool ready_ = false;
  bool dead_ = false;
  bool closing_ = false;
  bool finished_ = false;
};

}  // namespace relay::bench
