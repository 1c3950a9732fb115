// One WebSocket client of the null relay: challenge, any response accepted
// (its key is fingerprinted, the signature is not checked), then every
// `{"Send":{...` frame is spliced and handed to the destination's sessions.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <deque>
#include <memory>
#include <string>

#include "registry.hpp"

namespace relay::null_relay {

class session : public std::enable_shared_from_this<session> {
 public:
  using frame_ptr = std::shared_ptr<const std::string>;

  /// `direct`: the relay runs one io thread, so a delivery from another
  /// session may touch this one without posting.
  session(boost::asio::ip::tcp::socket&& socket, registry& reg, bool direct);
  ~session();

  void start();
  /// Queues a text frame (any thread).
  void deliver(frame_ptr frame);

 private:
  using error_code = boost::system::error_code;

  void on_accept(error_code ec);
  void read();
  void on_read(error_code ec, std::size_t n);
  bool authenticate(std::string_view text);
  void route(std::string_view text);
  void enqueue(frame_ptr frame);
  void write_next();
  void on_write(error_code ec);
  void finish();

  boost::beast::websocket::stream<boost::asio::ip::tcp::socket> ws_;
  boost::beast::flat_buffer buffer_;
  registry& reg_;
  const bool direct_;
  protocol::fingerprint fp_{};
  std::string prefix_;  ///< {"Send":{"source":[our fingerprint],
  bool registered_ = false;
  bool done_ = false;
  std::deque<frame_ptr> out_;
  std::size_t out_bytes_ = 0;
  bool writing_ = false;
};

}  // namespace relay::null_relay
