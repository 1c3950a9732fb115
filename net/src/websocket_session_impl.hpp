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

inline std::string endpoint_text(const connection_socket& s) {
  error_code ec;
  auto ep = s.remote_endpoint(ec);
  if (ec) return "?";
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}
}  // namespace session_detail

template <class Stream>
basic_websocket_session<Stream>::basic_websocket_session(Stream&& stream, caf::actor_system& sys, relay_core core,
                                                         std::shared_ptr<session_tracker> tracker,
                                                         std::shared_ptr<ssl::context> tls_context)
    : tracker_entry_{tracker, this},
      tls_context_(std::move(tls_context)),
      ws_(std::move(stream)),
      kill_timer_(ws_.get_executor()),
      sys_(sys),
      core_(std::move(core)),
      tracker_(std::move(tracker)),
      peer_(session_detail::endpoint_text(beast::get_lowest_layer(ws_))) {}

template <class Stream>
basic_websocket_session<Stream>::~basic_websocket_session() {
  core_.stats->connections_closed.fetch_add(1, std::memory_order_relaxed);
}

template <class Stream>
void basic_websocket_session<Stream>::start(http::request<http::empty_body> request, std::string client_ip) {
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
  auto offered = request[http::field::sec_websocket_protocol];
  if (protocol::lists_subprotocol({offered.data(), offered.size()}, protocol::binary_subprotocol))
    format_ = wire_format::binary;
  ws_.set_option(websocket::stream_base::decorator([binary = format_ == wire_format::binary](websocket::response_type& res) {
    res.set(http::field::server, "relay");
    if (binary) res.set(http::field::sec_websocket_protocol, std::string(protocol::binary_subprotocol));
  }));
  ws_.control_callback([this, interval = session_detail::activity_note_interval(*core_.config)](websocket::frame_type,
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
  if (format_ == wire_format::binary) core_.stats->binary_connections.fetch_add(1, std::memory_order_relaxed);
  if (!tracker_->add(shared_from_this())) return close(close_code::going_away, "server shutting down");
  RELAY_LOG(info, "connected peer=" << peer_ << (format_ == wire_format::binary ? " dialect=binary" : ""));
  actor_ = spawn_connection(sys_, core_, shared_from_this(), client_ip_);
  read_next();
}

template <class Stream>
bool basic_websocket_session<Stream>::credit_exhausted() const {
  return inflight_frames_.load() >= core_.config->max_inflight_frames ||
         (inflight_frames_.load() > 0 && inflight_bytes_.load() >= core_.config->max_inflight_bytes);
}

template <class Stream>
void basic_websocket_session<Stream>::read_next() {
  if (finished_ || closing_started_) return;
  if (credit_exhausted()) {
    // Stop reading: the kernel buffers fill and TCP slows the client down.
    read_paused_.store(true);
    // Credit may have come back between the check and the flag.
    if (credit_exhausted() || !read_paused_.exchange(false)) return;
  }
  ws_.async_read_some(asio::buffer(read_head_),
                      beast::bind_front_handler(&basic_websocket_session::on_read_head, shared_from_this()));
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
    RELAY_LOG(info, "closed peer=" << peer_ << " reason=\"message too big\" code=1009");
  }
  finish(ec == websocket::error::closed ? "closed by peer" : "read failed");
}

template <class Stream>
void basic_websocket_session<Stream>::deliver_frame() {
  inbound_frame frame;
  frame.binary = !ws_.got_text();
  auto bytes = read_text_.size();
  frame.data = std::move(read_text_);
  read_text_ = std::string{};
  inflight_frames_.fetch_add(1);
  inflight_bytes_.fetch_add(bytes);
  caf::anon_send(actor_, frame_atom::value, std::move(frame));
  read_next();
}

template <class Stream>
void basic_websocket_session<Stream>::frame_consumed(std::size_t bytes) {
  inflight_frames_.fetch_sub(1);
  inflight_bytes_.fetch_sub(bytes);
  if (read_paused_.load() && !credit_exhausted() && read_paused_.exchange(false)) {
    // defer: called by the connection actor, usually on an I/O thread that
    // can resume reading itself instead of waking another one.
    asio::defer(ws_.get_executor(), [self = shared_from_this()] { self->read_next(); });
  }
}

template <class Stream>
void basic_websocket_session<Stream>::send(shared_frame frame) {
  bool kick = false;
  {
    std::lock_guard<std::mutex> guard{out_mutex_};
    if (close_requested_) return;
    auto size = frame->size();
    // One frame larger than the bound still goes out when nothing is queued;
    // otherwise a client could never receive a maximum-size message.
    if (out_bytes_ > 0 && out_bytes_ + size > core_.config->max_outbound_bytes) {
      core_.stats->slow_consumer_closes.fetch_add(1, std::memory_order_relaxed);
      RELAY_LOG(info, "slow consumer peer=" << peer_ << " queued=" << out_bytes_);
      close_requested_ = true;
      // Drop what the client will never read in time; the close frame goes
      // out right after the write in progress.
      out_queue_.clear();
      out_bytes_ = in_flight_ ? in_flight_->size() : 0;
      queued_gauge_.update(out_bytes_);
      pending_close_ = websocket::close_reason{static_cast<websocket::close_code>(close_code::policy_violation), "slow consumer"};
      asio::post(ws_.get_executor(), [self = shared_from_this()] { self->arm_kill_timer(); });
      kick = !writing_;
      writing_ = true;
    } else {
      out_bytes_ += size;
      queued_gauge_.update(out_bytes_);
      out_queue_.push_back(std::move(frame));
      kick = !writing_;
      writing_ = true;
    }
  }
  // defer: the registry queues frames from an I/O thread (or a CAF worker);
  // on an I/O thread the write starts there, without waking another thread.
  if (kick) asio::defer(ws_.get_executor(), [self = shared_from_this()] { self->write_next(); });
}

template <class Stream>
void basic_websocket_session<Stream>::close(std::uint16_t code, std::string reason) {
  bool kick = false;
  {
    std::lock_guard<std::mutex> guard{out_mutex_};
    if (close_requested_) return;
    close_requested_ = true;
    pending_close_ = websocket::close_reason{static_cast<websocket::close_code>(code), reason};
    kick = !writing_;
    writing_ = true;
  }
  asio::post(ws_.get_executor(), [self = shared_from_this(), kick] {
    self->arm_kill_timer();
    if (kick) self->write_next();
  });
}

template <class Stream>
void basic_websocket_session<Stream>::write_next() {
  if (finished_) return;
  {
    std::lock_guard<std::mutex> guard{out_mutex_};
    if (out_queue_.empty()) {
      if (pending_close_) {
        // writing_ stays true: nothing else may be written after the close.
        start_close();
      } else {
        writing_ = false;
      }
      return;
    }
    in_flight_ = out_queue_.pop_front();
  }
  ws_.binary(format_ == wire_format::binary);
  ws_.async_write(asio::buffer(*in_flight_),
                  beast::bind_front_handler(&basic_websocket_session::on_write, shared_from_this()));
}

template <class Stream>
void basic_websocket_session<Stream>::on_write(error_code ec, std::size_t) {
  {
    std::lock_guard<std::mutex> guard{out_mutex_};
    if (in_flight_) out_bytes_ -= std::min(out_bytes_, in_flight_->size());
    queued_gauge_.update(out_bytes_);
    in_flight_.reset();
  }
  if (ec) return finish("write failed");
  write_next();
}

template <class Stream>
void basic_websocket_session<Stream>::start_close() {
  if (closing_started_ || finished_) return;
  closing_started_ = true;
  auto reason = *pending_close_;
  RELAY_LOG(info, "closing peer=" << peer_ << " code=" << reason.code << " reason=\"" << reason.reason << '"');
  ws_.async_close(reason, [self = shared_from_this()](error_code) { self->finish("closed by relay"); });
}

template <class Stream>
void basic_websocket_session<Stream>::arm_kill_timer() {
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
  {
    std::lock_guard<std::mutex> guard{out_mutex_};
    close_requested_ = true;
    out_queue_.clear();
    out_bytes_ = in_flight_ ? in_flight_->size() : 0;  // the dropped frames are no longer queued
    queued_gauge_.update(out_bytes_);
  }
  kill_timer_.cancel();
  error_code ignored;
  beast::get_lowest_layer(ws_).shutdown(tcp::socket::shutdown_both, ignored);
  beast::get_lowest_layer(ws_).close(ignored);
  if (actor_) {
    caf::anon_send(actor_, closed_atom::value);
    RELAY_LOG(info, "disconnected peer=" << peer_ << " (" << why << ")");
  }
  // Dropping the actor handle breaks the session <-> actor cycle.
  actor_ = nullptr;
}

}  // namespace relay::net
