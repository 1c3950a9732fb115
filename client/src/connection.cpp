#include "relay/client/connection.hpp"

#include <sys/socket.h>

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
using clock = std::chrono::steady_clock;

namespace {

// now + timeout without overflowing for `forever`.
clock::time_point deadline_after(duration timeout) {
  auto now = clock::now();
  if (timeout >= std::chrono::duration_cast<duration>(clock::time_point::max() - now)) return clock::time_point::max();
  return now + timeout;
}

duration time_left(clock::time_point deadline) {
  auto left = std::chrono::duration_cast<duration>(deadline - clock::now());
  return left.count() < 0 ? duration{0} : left;
}

std::string describe(const close_info& info) {
  return std::to_string(info.code) + (info.reason.empty() ? "" : " " + info.reason);
}

}  // namespace

struct connection::impl {
  asio::io_context ioc;
  websocket::stream<beast::tcp_stream> ws{ioc};
  beast::flat_buffer buffer;
  std::thread io_thread;

  // Events from the io thread to callers. condition_variable_any so that a
  // wait can also end on a std::stop_token (run_events).
  std::mutex mutex;
  std::condition_variable_any cv;
  std::deque<event> events;
  bool closed = false;
  close_info how_closed;
  // Messages that get_rendezvous()/claim() read while looking for their
  // answer: kept for the next receive() instead of being lost.
  std::deque<protocol::message> pending;

  // Outbound frames, touched on the io thread only.
  struct outbound {
    enum class kind { text, binary, ping, close } type;
    std::string data;
    std::uint16_t code = 0;
  };
  std::deque<outbound> outbox;
  bool writing = false;

  // Keepalive state, io thread only.
  asio::steady_timer keepalive_timer{ioc};
  duration keepalive_interval{0};
  clock::time_point last_heard = clock::now();
  bool keepalive_expired = false;
  bool socket_done = false;

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
          info.reason = keepalive_expired ? "keepalive timeout: nothing heard from the relay" : ec.message();
        }
        // Nothing more to read: let the timer go so the io thread can end.
        socket_done = true;
        keepalive_timer.cancel();
        push_event(event{event::kind::closed, {}, info});
        return;
      }
      last_heard = clock::now();
      event e;
      e.type = ws.got_text() ? event::kind::text : event::kind::binary;
      e.data = beast::buffers_to_string(buffer.data());
      buffer.consume(n);
      push_event(std::move(e));
      read_loop();
    });
  }

  void enqueue(outbound o) {
    asio::post(ioc, [this, o = std::move(o)]() mutable { push_outbound(std::move(o)); });
  }

  // io thread only.
  void push_outbound(outbound o) {
    outbox.push_back(std::move(o));
    if (!writing) write_next();
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

  // io thread only. Pings on a fixed beat (not only when idle): the relay
  // counts what the client sends, so a listener that receives a lot but
  // sends nothing would otherwise still hit the relay's idle timeout.
  void arm_keepalive() {
    if (keepalive_interval.count() <= 0 || socket_done) return;
    keepalive_timer.expires_after(keepalive_interval);
    keepalive_timer.async_wait([this](error_code ec) {
      if (ec || socket_done || keepalive_interval.count() <= 0) return;
      if (clock::now() - last_heard > 3 * keepalive_interval) {
        // The relay or the path is gone without a FIN: cut the socket so
        // the read loop ends and callers see a closed connection.
        keepalive_expired = true;
        error_code ignored;
        beast::get_lowest_layer(ws).socket().close(ignored);
        return;
      }
      push_outbound({outbound::kind::ping, {}});
      arm_keepalive();
    });
  }
};

connection::connection(std::unique_ptr<impl> d) : d_(std::move(d)) {}

connection::~connection() {
  // Cut the socket rather than wait for a close handshake; the timer is
  // cancelled too, or the io thread would keep running for it.
  asio::post(d_->ioc, [d = d_.get()] {
    d->socket_done = true;
    d->keepalive_timer.cancel();
    error_code ignored;
    beast::get_lowest_layer(d->ws).socket().close(ignored);
  });
  if (d_->io_thread.joinable()) d_->io_thread.join();
}

void connection::check_url(const std::string& url) {
  if (url.rfind("wss://", 0) == 0) throw url_error("wss:// is not supported yet: use ws://HOST:PORT");
  if (!parse_ws_url(url)) throw url_error("invalid relay URL '" + url + "': expected ws://HOST:PORT[/path]");
}

std::unique_ptr<connection> connection::open(const std::string& url, duration timeout) {
  check_url(url);
  auto parts = parse_ws_url(url);
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
    // Pongs (and any other control frame) prove the relay is alive.
    d->ws.control_callback([raw = d.get()](websocket::frame_type, beast::string_view) { raw->last_heard = clock::now(); });
    // The handshake is synchronous here, bounded by a socket-level timeout.
    timeval tv{static_cast<long>(timeout.count() / 1000), static_cast<long>(timeout.count() % 1000) * 1000};
    setsockopt(stream.socket().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    d->ws.handshake(parts->host_header, parts->target);
    timeval none{0, 0};
    setsockopt(stream.socket().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none);
  } catch (const boost::system::system_error& e) {
    throw connect_error("cannot connect to " + url + ": " + e.code().message());
  }
  d->last_heard = clock::now();
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

void connection::enable_keepalive(duration interval) {
  asio::post(d_->ioc, [d = d_.get(), interval] {
    d->keepalive_interval = interval;
    d->keepalive_timer.cancel();
    d->last_heard = clock::now();
    d->arm_keepalive();
  });
}

std::optional<event> connection::next_event_until(clock::time_point deadline, const std::stop_token& stop) {
  std::unique_lock<std::mutex> lock{d_->mutex};
  auto ready = [&] { return !d_->events.empty(); };
  bool got = deadline == clock::time_point::max() ? d_->cv.wait(lock, stop, ready)
                                                  : d_->cv.wait_until(lock, stop, deadline, ready);
  if (!got) return std::nullopt;
  auto e = std::move(d_->events.front());
  d_->events.pop_front();
  return e;
}

std::optional<event> connection::next_event(duration timeout) {
  return next_event_until(deadline_after(timeout), std::stop_token{});
}

std::optional<close_info> connection::wait_closed(duration timeout) {
  auto deadline = deadline_after(timeout);
  std::unique_lock<std::mutex> lock{d_->mutex};
  if (!d_->cv.wait_until(lock, deadline, [&] { return d_->closed; })) return std::nullopt;
  return d_->how_closed;
}

std::optional<close_info> connection::close_gracefully(duration timeout) {
  close(1000);
  return wait_closed(timeout);
}

void connection::send(const protocol::message& msg) { send_text(protocol::encode(msg)); }

void connection::send_to(const protocol::fingerprint& destination, protocol::byte_vector payload) {
  send(protocol::send{std::nullopt, destination, std::move(payload)});
}

std::optional<protocol::message> connection::receive(duration timeout) {
  auto deadline = deadline_after(timeout);
  {
    std::lock_guard<std::mutex> guard{d_->mutex};
    if (!d_->pending.empty()) {
      auto msg = std::move(d_->pending.front());
      d_->pending.pop_front();
      return msg;
    }
    // The closed event is delivered once; afterwards every receive() must
    // still report the end rather than time out.
    if (d_->closed && d_->events.empty())
      throw closed_error("connection closed by relay: " + describe(d_->how_closed), d_->how_closed);
  }
  for (;;) {
    auto e = next_event_until(deadline, std::stop_token{});
    if (!e) return std::nullopt;
    if (e->type == event::kind::closed)
      throw closed_error("connection closed by relay: " + describe(e->close), e->close);
    if (e->type != event::kind::text) continue;
    protocol::message msg;
    if (protocol::decode(e->data, msg) == protocol::decode_error::none) return msg;
  }
}

run_end connection::run_events(const message_handler& on_message, std::stop_token stop, duration timeout) {
  auto deadline = deadline_after(timeout);
  for (;;) {
    if (stop.stop_requested()) return run_end::stopped;
    // Slices of receive(): it throws on close and drains `pending` first.
    // A slice ends early when stop is requested through the cv wait below.
    std::optional<protocol::message> msg;
    {
      std::unique_lock<std::mutex> lock{d_->mutex};
      auto ready = [&] { return !d_->events.empty() || !d_->pending.empty() || d_->closed; };
      bool got = deadline == clock::time_point::max() ? d_->cv.wait(lock, stop, ready)
                                                      : d_->cv.wait_until(lock, stop, deadline, ready);
      if (!got) return stop.stop_requested() ? run_end::stopped : run_end::timed_out;
    }
    msg = receive(0ms);
    if (msg) on_message(*msg);
  }
}

void connection::authenticate(const protocol::identity_key_pair& key, duration timeout, duration settle) {
  auto msg = receive(timeout);
  if (!msg) throw timeout_error("no challenge from the relay within the timeout");
  auto* challenge = std::get_if<protocol::auth_challenge>(&*msg);
  if (challenge == nullptr) throw client_error("relay sent something other than AuthChallenge");
  protocol::auth_response response{protocol::identity{key.cose_key_bytes()}, key.sign_challenge(challenge->value)};
  send(response);
  fp_ = key.fp();
  if (settle.count() > 0) {
    if (auto closed = wait_closed(settle))
      throw auth_error("authentication refused: " + describe(*closed), *closed);
  }
}

std::string connection::get_rendezvous(duration timeout, protocol::spelling spelling) {
  send(protocol::get_rendezvous{spelling});
  auto deadline = deadline_after(timeout);
  std::deque<protocol::message> skipped;
  auto keep_skipped = [&] {
    std::lock_guard<std::mutex> guard{d_->mutex};
    d_->pending.insert(d_->pending.begin(), skipped.begin(), skipped.end());
  };
  try {
    for (;;) {
      auto msg = receive(time_left(deadline));
      if (!msg) break;
      if (auto* info = std::get_if<protocol::rendezvous_info>(&*msg)) {
        keep_skipped();
        return info->code;
      }
      skipped.push_back(std::move(*msg));
    }
  } catch (...) {
    keep_skipped();
    throw;
  }
  keep_skipped();
  throw timeout_error("no rendezvous code from the relay within the timeout");
}

std::optional<protocol::identity_info> connection::claim(const std::string& code, duration timeout) {
  send(protocol::get_identity{code});
  auto deadline = deadline_after(timeout);
  std::deque<protocol::message> skipped;
  auto keep_skipped = [&] {
    std::lock_guard<std::mutex> guard{d_->mutex};
    d_->pending.insert(d_->pending.begin(), skipped.begin(), skipped.end());
  };
  try {
    for (;;) {
      auto msg = receive(time_left(deadline));
      if (!msg) break;
      if (auto* info = std::get_if<protocol::identity_info>(&*msg)) {
        keep_skipped();
        return *info;
      }
      skipped.push_back(std::move(*msg));
    }
  } catch (...) {
    keep_skipped();
    throw;
  }
  keep_skipped();
  return std::nullopt;
}

}  // namespace relay::client
