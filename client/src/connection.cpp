#include "relay/client/connection.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <variant>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include "relay/protocol/json_codec.hpp"
#include "url.hpp"

namespace relay::client {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

struct connection::impl {
  asio::io_context ioc;
  websocket::stream<beast::tcp_stream> ws{ioc};
  beast::flat_buffer buffer;
  std::thread io_thread;

  // Events from the io thread to callers.
  std::mutex mutex;
  std::condition_variable cv;
  std::deque<event> events;
  bool closed = false;
  close_info how_closed;

  // Outbound frames, touched on the io thread only.
  struct outbound {
    enum class kind { text, binary, ping, close } type;
    std::string data;
    std::uint16_t code = 0;
  };
  std::deque<outbound> outbox;
  bool writing = false;

  void push_event(event e) {
    {
      std::lock_guard<std::mutex> guard{mutex};
      if (e.type == event::kind::closed) {
        if (closed) return;
        closed = true;
        how_closed = e.close;
      }
      events.push_back(std::move(e));
    }
    cv.notify_all();
  }

  void read_loop() {
    ws.async_read(buffer, [this](error_code ec, std::size_t n) {
      if (ec) {
        close_info info;
        if (ws.reason().code != websocket::close_code::none) {
          info.code = static_cast<std::uint16_t>(ws.reason().code);
          info.reason = std::string(ws.reason().reason.data(), ws.reason().reason.size());
        } else {
          info.code = 1006;
          info.reason = ec.message();
        }
        push_event(event{event::kind::closed, {}, info});
        return;
      }
      event e;
      e.type = ws.got_text() ? event::kind::text : event::kind::binary;
      e.data = beast::buffers_to_string(buffer.data());
      buffer.consume(n);
      push_event(std::move(e));
      read_loop();
    });
  }

  void enqueue(outbound o) {
    asio::post(ioc, [this, o = std::move(o)]() mutable {
      outbox.push_back(std::move(o));
      if (!writing) write_next();
    });
  }

  void write_next() {
    if (outbox.empty()) {
      writing = false;
      return;
    }
    writing = true;
    auto& o = outbox.front();
    auto done = [this](error_code ec, std::size_t = 0) {
      outbox.pop_front();
      if (ec) {
        outbox.clear();
        writing = false;
        return;
      }
      write_next();
    };
    switch (o.type) {
      case outbound::kind::text:
        ws.text(true);
        ws.async_write(asio::buffer(o.data), done);
        break;
      case outbound::kind::binary:
        ws.binary(true);
        ws.async_write(asio::buffer(o.data), done);
        break;
      case outbound::kind::ping:
        ws.async_ping({}, [done](error_code ec) { done(ec); });
        break;
      case outbound::kind::close:
        ws.async_close(websocket::close_reason{static_cast<websocket::close_code>(o.code), o.data},
                       [done](error_code ec) { done(ec); });
        break;
    }
  }
};

connection::connection(std::unique_ptr<impl> d) : d_(std::move(d)) {}

connection::~connection() {
  // Cut the socket rather than wait for a close handshake.
  asio::post(d_->ioc, [d = d_.get()] {
    error_code ignored;
    beast::get_lowest_layer(d->ws).socket().close(ignored);
  });
  if (d_->io_thread.joinable()) d_->io_thread.join();
}

std::unique_ptr<connection> connection::open(const std::string& url, duration timeout) {
  auto parts = parse_ws_url(url);
  if (!parts) throw client_error("invalid relay URL '" + url + "': expected ws://HOST:PORT[/path]");
  auto d = std::make_unique<impl>();
  try {
    tcp::resolver resolver{d->ioc};
    auto endpoints = resolver.resolve(parts->host, parts->port);
    auto& stream = beast::get_lowest_layer(d->ws);
    stream.expires_after(timeout);
    stream.connect(endpoints);
    stream.socket().set_option(tcp::no_delay(true));
    stream.expires_never();
    d->ws.set_option(websocket::stream_base::decorator(
      [](websocket::request_type& req) { req.set(beast::http::field::user_agent, "relay-client"); }));
    d->ws.read_message_max(64 * 1024 * 1024);
    // The handshake is synchronous here, bounded by a socket-level timeout.
    timeval tv{static_cast<long>(timeout.count() / 1000), static_cast<long>(timeout.count() % 1000) * 1000};
    setsockopt(stream.socket().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    d->ws.handshake(parts->host_header, parts->target);
    timeval none{0, 0};
    setsockopt(stream.socket().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none);
  } catch (const boost::system::system_error& e) {
    throw client_error("cannot connect to " + url + ": " + e.code().message());
  }
  d->read_loop();
  d->io_thread = std::thread([raw = d.get()] { raw->ioc.run(); });
  return std::unique_ptr<connection>(new connection(std::move(d)));
}

void connection::send_text(std::string text) { d_->enqueue({impl::outbound::kind::text, std::move(text)}); }

void connection::send_binary(std::string data) {
  d_->enqueue({impl::outbound::kind::binary, std::move(data)});
}

void connection::ping() { d_->enqueue({impl::outbound::kind::ping, {}}); }

void connection::close(std::uint16_t code, std::string reason) {
  d_->enqueue({impl::outbound::kind::close, std::move(reason), code});
}

std::optional<event> connection::next_event(duration timeout) {
  std::unique_lock<std::mutex> lock{d_->mutex};
  if (!d_->cv.wait_for(lock, timeout, [&] { return !d_->events.empty(); })) return std::nullopt;
  auto e = std::move(d_->events.front());
  d_->events.pop_front();
  return e;
}

std::optional<close_info> connection::wait_closed(duration timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock<std::mutex> lock{d_->mutex};
  if (!d_->cv.wait_until(lock, deadline, [&] { return d_->closed; })) return std::nullopt;
  return d_->how_closed;
}

void connection::send(const protocol::message& msg) { send_text(protocol::encode(msg)); }

void connection::send_to(const protocol::fingerprint& destination, protocol::byte_vector payload) {
  send(protocol::send{std::nullopt, destination, std::move(payload)});
}

std::optional<protocol::message> connection::receive(duration timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<duration>(deadline - std::chrono::steady_clock::now());
    if (left.count() < 0) left = duration{0};
    auto e = next_event(left);
    if (!e) return std::nullopt;
    if (e->type == event::kind::closed)
      throw client_error("connection closed by relay: " + std::to_string(e->close.code) + " " + e->close.reason);
    if (e->type != event::kind::text) continue;
    protocol::message msg;
    if (protocol::decode(e->data, msg) == protocol::decode_error::none) return msg;
  }
}

void connection::authenticate(const protocol::identity_key_pair& key, duration timeout, duration settle) {
  auto msg = receive(timeout);
  if (!msg) throw client_error("no challenge from the relay within the timeout");
  auto* challenge = std::get_if<protocol::auth_challenge>(&*msg);
  if (challenge == nullptr) throw client_error("relay sent something other than AuthChallenge");
  protocol::auth_response response{protocol::identity{key.cose_key_bytes()}, key.sign_challenge(challenge->value)};
  send(response);
  fp_ = key.fp();
  if (settle.count() > 0) {
    if (auto closed = wait_closed(settle))
      throw client_error("authentication refused: " + std::to_string(closed->code) + " " + closed->reason);
  }
}

std::string connection::get_rendezvous(duration timeout, protocol::spelling spelling) {
  send(protocol::get_rendezvous{spelling});
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto left = std::chrono::duration_cast<duration>(deadline - std::chrono::steady_clock::now());
    auto msg = receive(left);
    if (!msg) break;
    if (auto* info = std::get_if<protocol::rendezvous_info>(&*msg)) return info->code;
  }
  throw client_error("no rendezvous code from the relay within the timeout");
}

std::optional<protocol::identity_info> connection::claim(const std::string& code, duration timeout) {
  send(protocol::get_identity{code});
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto left = std::chrono::duration_cast<duration>(deadline - std::chrono::steady_clock::now());
    auto msg = receive(left);
    if (!msg) break;
    if (auto* info = std::get_if<protocol::identity_info>(&*msg)) return *info;
  }
  return std::nullopt;
}

}  // namespace relay::client
