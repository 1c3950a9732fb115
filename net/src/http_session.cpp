#include "http_session.hpp"

#include "forwarded_for.hpp"
#include "relay/actors/rate_limits.hpp"
#include "relay/log.hpp"
#include "websocket_session.hpp"

namespace relay::net {

namespace {
constexpr auto request_timeout = std::chrono::seconds(10);
constexpr std::uint32_t header_limit = 8 * 1024;
}  // namespace

http_session::http_session(connection_socket&& socket, const tcp::endpoint& peer, caf::actor_system& sys,
                           relay_core core, std::shared_ptr<session_tracker> tracker,
                           std::shared_ptr<ssl::context> tls_context)
    : stream_(std::move(socket)),
      peer_(peer),
      tls_context_(std::move(tls_context)),
      deadline_(stream_.get_executor()),
      sys_(sys),
      core_(std::move(core)),
      tracker_(std::move(tracker)) {
  if (tls_context_) tls_.emplace(std::move(stream_), *tls_context_);
}

void http_session::arm_deadline(std::chrono::steady_clock::duration limit) {
  deadline_.expires_after(limit);
  deadline_.async_wait([self = shared_from_this()](error_code ec) {
    // Disarmed (the step finished, maybe the stream was handed on) or re-armed.
    if (ec || self->deadline_.expiry() > std::chrono::steady_clock::now()) return;
    self->timed_out_ = true;
    error_code ignored;
    self->lowest().close(ignored);
  });
}

void http_session::disarm_deadline() { deadline_.expires_at(std::chrono::steady_clock::time_point::max()); }

void http_session::start() {
  if (!tls_) return read_request();
  arm_deadline(request_timeout);
  tls_->async_handshake(ssl::stream_base::server,
                        beast::bind_front_handler(&http_session::on_handshake, shared_from_this()));
}

void http_session::on_handshake(error_code ec) {
  if (ec) {
    // Plain HTTP to the TLS port, an untrusting client, a scanner: nothing
    // to answer in a protocol the other side understands.
    error_code ignored;
    disarm_deadline();
    RELAY_LOG(debug, "TLS handshake failed peer=" << peer_ << ": " << ec.message());
    lowest().close(ignored);
    return;
  }
  read_request();
}

void http_session::read_request() {
  parser_.emplace();
  parser_->header_limit(header_limit);
  parser_->body_limit(0);  // an upgrade request has no body
  arm_deadline(request_timeout);
  with_stream([this](auto& stream) {
    http::async_read(stream, buffer_, *parser_, beast::bind_front_handler(&http_session::on_read, shared_from_this()));
  });
}

void http_session::on_read(error_code ec, std::size_t) {
  disarm_deadline();
  if (ec) {
    if (ec != http::error::end_of_stream && !timed_out_)
      reject(http::status::bad_request, "bad request\n");
    return;
  }
  auto request = parser_->release();
  if (!websocket::is_upgrade(request)) {
    return reject(http::status::upgrade_required,
                  "this is a WebSocket relay: connect with a WebSocket client\n");
  }
  auto ip = client_ip(request);
  if (core_.limits->auth_blocked(ip)) {
    core_.stats->connections_auth_blocked.fetch_add(1, std::memory_order_relaxed);
    RELAY_LOG(info, "refused ip=" << ip << " reason=\"too many failed authentications\"");
    return reject(http::status::too_many_requests, "too many failed authentications: retry later\n");
  }
  if (!core_.limits->allow_connection(ip)) {
    core_.stats->connections_rate_limited.fetch_add(1, std::memory_order_relaxed);
    RELAY_LOG(debug, "refused ip=" << ip << " reason=\"connection rate\"");
    return reject(http::status::too_many_requests, "too many new connections: retry later\n");
  }
  if (tls_) {
    std::make_shared<tls_websocket_session>(std::move(*tls_), sys_, core_, tracker_, tls_context_)
      ->start(std::move(request), std::move(ip), peer_name());
  } else {
    std::make_shared<plain_websocket_session>(std::move(stream_), sys_, core_, tracker_)
      ->start(std::move(request), std::move(ip), peer_name());
  }
}

std::string http_session::peer_name() const {
  return peer_.address().to_string() + ":" + std::to_string(peer_.port());
}

std::string http_session::client_ip(const http::request<http::empty_body>& request) const {
  if (core_.config->trust_proxy) {
    auto xff = request["X-Forwarded-For"];
    auto ip = last_forwarded_for(std::string_view(xff.data(), xff.size()));
    if (!ip.empty()) return std::string(ip);
  }
  return peer_.address().to_string();
}

void http_session::reject(http::status status, std::string body) {
  response_ = {};
  response_.result(status);
  response_.version(11);
  response_.set(http::field::server, "relay");
  response_.set(http::field::content_type, "text/plain");
  response_.set(http::field::connection, "close");
  if (status == http::status::upgrade_required) response_.set(http::field::upgrade, "websocket");
  if (status == http::status::too_many_requests) response_.set(http::field::retry_after, "60");
  response_.body() = std::move(body);
  response_.prepare_payload();
  response_.keep_alive(false);
  arm_deadline(request_timeout);
  with_stream([this](auto& stream) {
    http::async_write(stream, response_, [self = shared_from_this()](error_code, std::size_t) {
      self->disarm_deadline();
      error_code ignored;
      self->lowest().shutdown(tcp::socket::shutdown_send, ignored);
    });
  });
}

}  // namespace relay::net
