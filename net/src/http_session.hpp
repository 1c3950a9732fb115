// The first request on a new TCP connection: a WebSocket upgrade goes on
// to a websocket_session; anything else gets a short 426 answer.
#pragma once

#include <memory>
#include <optional>

#include "asio.hpp"
#include "relay/actors/relay_core.hpp"
#include "session_tracker.hpp"

namespace relay::net {

class http_session : public std::enable_shared_from_this<http_session> {
 public:
  http_session(tcp::socket&& socket, caf::actor_system& sys, relay_core core,
               std::shared_ptr<session_tracker> tracker);
  void start();

 private:
  void on_read(error_code ec, std::size_t bytes);
  void reject(http::status status, std::string body);

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> parser_;
  http::response<http::string_body> response_;
  caf::actor_system& sys_;
  relay_core core_;
  std::shared_ptr<session_tracker> tracker_;
};

}  // namespace relay::net
