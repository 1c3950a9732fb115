#include "relay/client/connection.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <fstream>
#include <mutex>
#include <thread>
#include <type_traits>
#include <variant>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>

#include "relay/protocol/wire_format.hpp"
#include "url.hpp"

namespace relay::client {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using plain_ws = websocket::stream<beast::tcp_stream>;
using tls_ws = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;
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

// The client side of wss://: TLS 1.2+, the peer's certificate verified
// against `ca_file` (PEM) or the system's trust store.
std::unique_ptr<ssl::context> make_client_tls_context(const std::string& ca_file) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  error_code ec;
  if (ca_file.empty()) {
    ctx->set_default_verify_paths(ec);
    if (ec) throw connect_error("cannot load the system's CA certificates: " + ec.message());
  } else {
    if (!std::ifstream(ca_file)) throw connect_error("cannot read CA file '" + ca_file + "': " + std::strerror(errno));
    ctx->load_verify_file(ca_file, ec);
    if (ec) throw connect_error("invalid CA file '" + ca_file + "': " + ec.message());
  }
  ctx->set_verify_mode(ssl::verify_peer);
  return ctx;
}

bool is_ip_address(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

}  // namespace

struct connection::impl {
  asio::io_context ioc;
  // Exactly one of plain/tls is set (by the URL's scheme). The context
  // outlives the TLS stream.
  std::unique_ptr<ssl::context> tls_context;
  std::unique_ptr<plain_ws> plain;
  std::unique_ptr<tls_ws> tls;
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

  // Calls f(ws) with the WebSocket stream, whichever it is.
  template <class F>
  void with_ws(F&& f) {
    if (tls) f(*tls);
    else f(*plain);
  }

  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : beast::get_lowest_layer(*plain); }

  // Runs one asynchronous operation to completion on the calling thread
  // (before the io thread exists); its error.
  template <class Start>
  error_code run_one(Start&& start) {
    error_code result;
    start([&result](error_code ec, auto&&...) { result = ec; });
    ioc.restart();
    ioc.run();
    return result;
  }

  // TCP connect, TLS handshake (wss), WebSocket upgrade: each bounded by
  // what is left of `timeout`. Throws connect_error.
  template <class WS>
  void connect(WS& ws, const std::string& url, const ws_url& parts, duration timeout, protocol::wire_format format) {
    auto deadline = deadline_after(timeout);
    auto& stream = beast::get_lowest_layer(ws);
    auto arm = [&] {
      if (deadline == clock::time_point::max()) stream.expires_never();
      else stream.expires_after(time_left(deadline));
    };
    auto fail = [&](const std::string& what, const error_code& ec) {
      throw connect_error("cannot connect to " + url + ": " + what + (what.empty() ? "" : ": ") +
                          (ec == beast::error::timeout ? "timed out" : ec.message()));
    };
    tcp::resolver resolver{ioc};
    error_code ec;
    auto endpoints = resolver.resolve(parts.host, parts.port, ec);
    if (ec) fail("", ec);
    arm();
    ec = run_one([&](auto handler) { stream.async_connect(endpoints, handler); });
    if (ec) fail("", ec);
    stream.socket().set_option(tcp::no_delay(true));
    if constexpr (std::is_same_v<WS, tls_ws>) {
      auto* ssl_handle = ws.next_layer().native_handle();
      // SNI for names (not for IP literals, RFC 6066), and the name or
      // address the certificate must carry.
      if (is_ip_address(parts.host)) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_handle), parts.host.c_str());
      } else {
        SSL_set_tlsext_host_name(ssl_handle, parts.host.c_str());
        SSL_set1_host(ssl_handle, parts.host.c_str());
      }
      arm();
      ec = run_one([&](auto handler) { ws.next_layer().async_handshake(ssl::stream_base::client, handler); });
      if (ec) {
        auto verdict = SSL_get_verify_result(ssl_handle);
        if (verdict != X509_V_OK)
          fail("TLS certificate not trusted (" + std::string(X509_verify_cert_error_string(verdict)) + ")", ec);
        fail("TLS handshake failed", ec);
      }
    }
    arm();
    websocket::response_type response;
    ec = run_one([&](auto handler) { ws.async_handshake(response, parts.host_header, parts.target, handler); });
    if (ec) fail("WebSocket upgrade failed", ec);
    stream.expires_never();
    auto chosen = response[beast::http::field::sec_websocket_protocol];
    if (format == protocol::wire_format::binary &&
        std::string_view(chosen.data(), chosen.size()) != protocol::binary_subprotocol)
      throw connect_error("cannot connect to " + url + ": the relay did not accept the binary dialect (" +
                          std::string(protocol::binary_subprotocol) + ")");
  }

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
    with_ws([this](auto& ws) { read_loop(ws); });
  }

  template <class WS>
  void read_loop(WS& ws) {
    ws.async_read(buffer, [this, &ws](error_code ec, std::size_t n) {
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
      read_loop(ws);
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
    with_ws([&](auto& ws) {
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
    });
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
        lowest().socket().close(ignored);
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
    d->lowest().socket().close(ignored);
  });
  if (d_->io_thread.joinable()) d_->io_thread.join();
}

void connection::check_url(const std::string& url) {
  if (!parse_ws_url(url))
    throw url_error("invalid relay URL '" + url + "': expected ws://HOST:PORT[/path] or wss://HOST[:PORT][/path]");
}

std::unique_ptr<connection> connection::open(const std::string& url, duration timeout) {
  connect_options options;
  options.timeout = timeout;
  return open(url, options);
}

std::unique_ptr<connection> connection::open(const std::string& url, const connect_options& options) {
  check_url(url);
  auto parts = *parse_ws_url(url);
  auto d = std::make_unique<impl>();
  if (parts.tls) {
    d->tls_context = make_client_tls_context(options.ca_file);
    d->tls = std::make_unique<tls_ws>(d->ioc, *d->tls_context);
  } else {
    d->plain = std::make_unique<plain_ws>(d->ioc);
  }
  d->with_ws([&](auto& ws) {
    ws.set_option(websocket::stream_base::decorator([binary = options.format == protocol::wire_format::binary](
                                                      websocket::request_type& req) {
      req.set(beast::http::field::user_agent, "relay-client");
      if (binary) req.set(beast::http::field::sec_websocket_protocol, std::string(protocol::binary_subprotocol));
    }));
    ws.read_message_max(64 * 1024 * 1024);
    // Pongs (and any other control frame) prove the relay is alive.
    ws.control_callback([raw = d.get()](websocket::frame_type, beast::string_view) { raw->last_heard = clock::now(); });
    d->connect(ws, url, parts, options.timeout, options.format);
  });
  d->last_heard = clock::now();
  d->read_loop();
  d->ioc.restart();
  d->io_thread = std::thread([raw = d.get()] { raw->ioc.run(); });
  auto c = std::unique_ptr<connection>(new connection(std::move(d)));
  c->format_ = options.format;
  return c;
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

void connection::send(const protocol::message& msg) {
  if (format_ == protocol::wire_format::binary) send_binary(protocol::encode(msg, format_));
  else send_text(protocol::encode(msg, format_));
}

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
    auto expected = format_ == protocol::wire_format::binary ? event::kind::binary : event::kind::text;
    if (e->type != expected) continue;
    protocol::message msg;
    if (protocol::decode(e->data, format_, msg) == protocol::decode_error::none) return msg;
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

template <class T>
std::optional<T> connection::await_kind(std::chrono::steady_clock::time_point deadline) {
  std::deque<protocol::message> skipped;
  auto keep_skipped = [&] {
    std::lock_guard<std::mutex> guard{d_->mutex};
    d_->pending.insert(d_->pending.begin(), skipped.begin(), skipped.end());
  };
  try {
    for (;;) {
      auto msg = receive(time_left(deadline));
      if (!msg) break;
      if (auto* wanted = std::get_if<T>(&*msg)) {
        T out = std::move(*wanted);
        keep_skipped();
        return out;
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

std::string connection::get_rendezvous(duration timeout, protocol::spelling spelling) {
  send(protocol::get_rendezvous{spelling});
  auto info = await_kind<protocol::rendezvous_info>(deadline_after(timeout));
  if (!info) throw timeout_error("no rendezvous code from the relay within the timeout");
  return info->code;
}

std::optional<protocol::identity_info> connection::claim(const std::string& code, duration timeout) {
  send(protocol::get_identity{code});
  return await_kind<protocol::identity_info>(deadline_after(timeout));
}

}  // namespace relay::client
