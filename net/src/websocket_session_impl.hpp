// The definitions of basic_websocket_session<Stream>, instantiated once per
// stream type by websocket_session_plain.cpp and websocket_session_tls.cpp:
// two translation units, so the two heavy Beast instantiations build in
// parallel.
#pragma once

#include "websocket_session.hpp"

#include <caf/all.hpp>

#include "relay/actors/messages.hpp"
#include "relay/log.hpp"

namespace relay::net {

namespace session_detail {
// A close handshake (or a stuck write to a slow consumer) gets this long
// before the socket is simply cut.
inline constexpr auto close_grace = std::chrono::seconds(3);
// Ping/pong activity is reported to the actor at most this often (and at
// least four times per idle timeout, so pings always keep a client alive).
inline std::chrono::steady_clock::duration activity_note_interval(const relay_config& cfg) {
  return std::min<std::chrono::steady_clock::duration>(std::chrono::seconds(1), cfg.idle_timeout / 4);
}

}  // namespace session_detail

template <class Stream>
basic_websocket_session<Stream>::basic_websocket_session(Stream&& stream, caf::actor_system& sys, relay_core core,
                                                         std::shared_ptr<session_tracker> tracker,
                                                         std::shared_ptr<ssl::context> tls_context)
    : tls_context_(std::move(tls_context)),
      ws_(std::move(stream)),
      kill_timer_(ws_.get_executor()),
      sys_(sys),
      core_(std::move(core)),
      tracker_(std::move(tracker)) {}

template <class Stream>
basic_websocket_session<Stream>::~basic_websocket_session() {
  if (tracked_) tracker_->remove(outbox_.get());
  core_.stats->connections_closed.fetch_add(1, std::memory_order_relaxed);
}

template <class Stream>
void basic_websocket_session<Stream>::start(http::request<http::empty_body> request, std::string client_ip,
                                            std::string peer_name) {
  client_ip_ = std::move(client_ip);
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = std::chrono::seconds(10);
  timeouts.idle_timeout = websocket::stream_base::none();  // the actor owns idleness
  timeouts.keep_alive_pings = false;
  ws_.set_option(timeouts);
  ws_.read_message_max(core_.config->max_message);
  ws_.auto_fragment(false);
  // The binary dialect is opt-in: only a client that lists it gets it,
  // and the echoed value tells the client the relay agreed.
  auto format = wire_format::json;
  auto offered = request[http::field::sec_websocket_protocol];
  if (protocol::lists_subprotocol({offered.data(), offered.size()}, protocol::binary_subprotocol))
    format = wire_format::binary;
  ws_.binary(format == wire_format::binary);
  ws_.set_option(websocket::stream_base::decorator([binary = format == wire_format::binary](websocket::response_type& res) {
    res.set(http::field::server, "relay");
    if (binary) res.set(http::field::sec_websocket_protocol, std::string(protocol::binary_subprotocol));
  }));
  const auto& cfg = *core_.config;
  // The waker holds the session weakly: a finished session is not kept
  // alive by an actor that still sends to its outbox.
  outbox_ = std::make_shared<outbox>(format, std::move(peer_name),
                                     outbox::limits{cfg.max_outbound_bytes, cfg.max_inflight_frames, cfg.max_inflight_bytes},
                                     core_.stats, [weak = this->weak_from_this()](unsigned work) {
                                       if (auto self = weak.lock()) self->wake(work);
                                     });
  ws_.control_callback([this, interval = session_detail::activity_note_interval(cfg)](websocket::frame_type,
                                                                                beast::string_view) {
    // Pings and pongs count as activity for the idle timeout (rate-limited
    // so a ping flood does not become a message flood).
    auto now = std::chrono::steady_clock::now();
    if (actor_ && now - last_activity_note_ >= interval) {
      last_activity_note_ = now;
      caf::anon_send(actor_, activity_atom::value);
    }
  });
  ws_.async_accept(request, beast::bind_front_handler(&basic_websocket_session::on_accept, shared_from_this()));
}

template <class Stream>
void basic_websocket_session<Stream>::on_accept(error_code ec) {
  if (ec) return finish("upgrade failed");
  core_.stats->connections_opened.fetch_add(1, std::memory_order_relaxed);
  bool binary = outbox_->format() == wire_format::binary;
  if (binary) core_.stats->binary_connections.fetch_add(1, std::memory_order_relaxed);
  if (!tracker_->add(outbox_)) return outbox_->close(close_code::going_away, "server shutting down");
  tracked_ = true;
  RELAY_LOG(info, "connected peer=" << outbox_->peer_name() << (binary ? " dialect=binary" : ""));
  actor_ = spawn_connection(sys_, core_, outbox_, client_ip_);
  read_next();
}

// From any thread, through the outbox. One hop onto the strand; defer: the
// actor that queued a frame usually runs on an I/O thread, which then starts
// the write itself after its current handler instead of waking another one.
template <class Stream>
void basic_websocket_session<Stream>::wake(unsigned work) {
  asio::defer(ws_.get_executor(), [self = shared_from_this(), work] {
    if (work & outbox::arm_close) self->arm_kill_timer();
    if (work & outbox::write) self->write_next();
    if (work & outbox::resume_read) self->read_next();
  });
}

template <class Stream>
void basic_websocket_session<Stream>::read_next() {
  if (finished_ || closing_started_) return;
  // Without credit, stop reading: the kernel buffers fill and TCP slows
  // the client down until the outbox wakes resume_read.
  if (!outbox_->may_read()) {
    parked_ = shared_from_this();
    return;
  }
  ws_.async_read_some(asio::buffer(read_head_),
                      beast::bind_front_handler(&basic_websocket_session::on_read_head, shared_from_this()));
  parked_.reset();  // the pending read holds the session now
}

template <class Stream>
void basic_websocket_session<Stream>::on_read_head(error_code ec, std::size_t bytes) {
  if (ec) return read_failed(ec);
  read_text_.assign(read_head_.data(), bytes);
  if (ws_.is_message_done()) return deliver_frame();
  // The rest of the frame, appended to what the head holds.
  read_buffer_.emplace(read_text_, core_.config->max_message);
  ws_.async_read(*read_buffer_, beast::bind_front_handler(&basic_websocket_session::on_read_rest, shared_from_this()));
}

template <class Stream>
void basic_websocket_session<Stream>::on_read_rest(error_code ec, std::size_t) {
  if (ec) return read_failed(ec);
  auto size = read_buffer_->size();
  read_buffer_.reset();
  read_text_.resize(size);  // the buffer may have grown past the frame
  deliver_frame();
}

template <class Stream>
void basic_websocket_session<Stream>::read_failed(error_code ec) {
  if (ec == websocket::error::message_too_big) {
    core_.stats->oversize_closes.fetch_add(1, std::memory_order_relaxed);
    RELAY_LOG(info, "closed peer=" << outbox_->peer_name() << " reason=\"message too big\" code=1009");
  }
  finish(ec == websocket::error::closed ? "closed by peer" : "read failed");
}

template <class Stream>
void basic_websocket_session<Stream>::deliver_frame() {
  inbound_frame frame;
  frame.binary = !ws_.got_text();
  outbox_->delivered(read_text_.size());
  frame.data = std::move(read_text_);
  read_text_ = std::string{};
  caf::anon_send(actor_, frame_atom::value, std::move(frame));
  read_next();
}

template <class Stream>
void basic_websocket_session<Stream>::write_next() {
  if (finished_ || closing_started_) return;
  auto step = outbox_->next_write();
  if (step.close) return start_close(std::move(*step.close));
  if (!step.frame) return;  // nothing queued: the outbox wakes the next write
  // The frame stays alive in the outbox until write_done().
  ws_.async_write(asio::buffer(*step.frame),
                  beast::bind_front_handler(&basic_websocket_session::on_write, shared_from_this()));
}

template <class Stream>
void basic_websocket_session<Stream>::on_write(error_code ec, std::size_t) {
  outbox_->write_done();
  if (ec) return finish("write failed");
  write_next();
}

template <class Stream>
void basic_websocket_session<Stream>::start_close(outbox::close_request request) {
  if (closing_started_ || finished_) return;
  closing_started_ = true;
  RELAY_LOG(info, "closing peer=" << outbox_->peer_name() << " code=" << request.code << " reason=\"" << request.reason << '"');
  websocket::close_reason reason{static_cast<websocket::close_code>(request.code), request.reason};
  ws_.async_close(reason, [self = shared_from_this()](error_code) { self->finish("closed by relay"); });
}

template <class Stream>
void basic_websocket_session<Stream>::arm_kill_timer() {
  if (finished_) return;
  kill_timer_.expires_after(session_detail::close_grace);
  kill_timer_.async_wait([self = shared_from_this()](error_code ec) {
    if (ec || self->finished_) return;
    error_code ignored;
    beast::get_lowest_layer(self->ws_).close(ignored);
  });
}

template <class Stream>
void basic_websocket_session<Stream>::finish(const char* why) {
  if (finished_) return;
  finished_ = true;
  if (outbox_) outbox_->shut();
  kill_timer_.cancel();
  error_code ignored;
  beast::get_lowest_layer(ws_).shutdown(tcp::socket::shutdown_both, ignored);
  beast::get_lowest_layer(ws_).close(ignored);
  if (actor_) {
    caf::anon_send(actor_, closed_atom::value);
    RELAY_LOG(info, "disconnected peer=" << outbox_->peer_name() << " (" << why << ")");
  }
  actor_ = nullptr;
  parked_.reset();
  if (tracked_) {
    tracked_ = false;
    tracker_->remove(outbox_.get());
  }
}

}  // namespace relay::net
