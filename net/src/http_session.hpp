// The first request on a new TCP connection: a WebSocket upgrade goes on
// to a websocket_session; anything else gets a short 426 answer. With a
// TLS context the TLS handshake comes first (bounded like the request).
#pragma once

#include <memory>
#include <optional>

#include "asio.hpp"
#include "relay/actors/relay_core.hpp"
#include "session_tracker.hpp"

namespace relay::net {

class http_session : public std::enable_shared_from_this<http_session> {
 public:
  /// `tls_context` non-null: this connection speaks TLS with that context
  /// (the session keeps it alive; a reload only affects later connections).
  /// `peer` is the client's address as accept returned it.
  http_session(connection_socket&& socket, const tcp::endpoint& peer, caf::actor_system& sys, relay_core core,
               std::shared_ptr<session_tracker> tracker, std::shared_ptr<ssl::context> tls_context = nullptr);
  /// Starts reading the upgrade request; call on executor().
  void start();
  /// The strand every handler of this connection runs on.
  connection_executor executor() { return lowest().get_executor(); }

 private:
  void on_handshake(error_code ec);
  void read_request();
  void on_read(error_code ec, std::size_t bytes);
  void reject(http::status status, std::string body);
  /// Closes the socket unless the step in progress (TLS handshake, request
  /// read, refusal write) finishes within `limit`.
  void arm_deadline(std::chrono::steady_clock::duration limit);
  void disarm_deadline();
  /// The client's IP: the socket's peer, or with --trust-proxy the last
  /// X-Forwarded-For entry.
  std::string client_ip(const http::request<http::empty_body>& request) const;
  /// "address:port" of the socket's peer, for logs.
  std::string peer_name() const;

  /// Calls f(stream) with the stream requests travel on (TLS or plain).
  template <class F>
  void with_stream(F&& f) {
    if (tls_) f(*tls_);
    else f(stream_);
  }
  connection_socket& lowest() { return tls_ ? tls_->next_layer() : stream_; }
  const connection_socket& lowest() const { return tls_ ? tls_->next_layer() : stream_; }

  connection_socket stream_;  // moved into tls_ when TLS is on
  tcp::endpoint peer_;
  std::shared_ptr<ssl::context> tls_context_;
  std::optional<tls_stream> tls_;
  connection_timer deadline_;
  bool timed_out_ = false;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> parser_;
  http::response<http::string_body> response_;
  caf::actor_system& sys_;
  relay_core core_;
  std::shared_ptr<session_tracker> tracker_;
};

}  // namespace relay::net
