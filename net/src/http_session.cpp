#include "http_session.hpp"

#include "relay/log.hpp"
#include "websocket_session.hpp"

namespace relay::net {

namespace {
constexpr auto request_timeout = std::chrono::seconds(10);
constexpr std::uint32_t header_limit = 8 * 1024;
}  // namespace

http_session::http_session(tcp::socket&& socket, caf::actor_system& sys, relay_core core,
                           std::shared_ptr<session_tracker> tracker)
    : stream_(std::move(socket)), sys_(sys), core_(std::move(core)), tracker_(std::move(tracker)) {}

void http_session::start() {
  parser_.emplace();
  parser_->header_limit(header_limit);
  parser_->body_limit(0);  // an upgrade request has no body
  stream_.expires_after(request_timeout);
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&http_session::on_read, shared_from_this()));
}

void http_session::on_read(error_code ec, std::size_t) {
  if (ec) {
    if (ec != http::error::end_of_stream && ec != beast::error::timeout)
      reject(http::status::bad_request, "bad request\n");
    return;
  }
  auto request = parser_->release();
  if (!websocket::is_upgrade(request)) {
    return reject(http::status::upgrade_required,
                  "this is a WebSocket relay: connect with a WebSocket client\n");
  }
  auto session = std::make_shared<websocket_session>(stream_.release_socket(), sys_, core_, tracker_);
  session->start(std::move(request));
}

void http_session::reject(http::status status, std::string body) {
  response_ = {};
  response_.result(status);
  response_.version(11);
  response_.set(http::field::server, "relay");
  response_.set(http::field::content_type, "text/plain");
  response_.set(http::field::connection, "close");
  if (status == http::status::upgrade_required) response_.set(http::field::upgrade, "websocket");
  response_.body() = std::move(body);
  response_.prepare_payload();
  response_.keep_alive(false);
  stream_.expires_after(request_timeout);
  http::async_write(stream_, response_, [self = shared_from_this()](error_code, std::size_t) {
    error_code ignored;
    self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  });
}

}  // namespace relay::net
