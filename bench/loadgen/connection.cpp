#include "connection.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/write.hpp>
#include <cstring>

#include "payload.hpp"
#include "relay/protocol/wire_format.hpp"
#include "worker.hpp"

namespace relay::bench {

namespace asio = boost::asio;
namespace websocket = boost::beast::websocket;
namespace proto = relay::protocol;

namespace {
constexpr std::size_t initial_read_buffer = 4096;
constexpr std::size_t max_frame = 64u << 20;
constexpr std::size_t max_pending_bytes = 8u << 20;  // open loop: beyond this a send is skipped (overrun)

std::uint32_t mask_for(std::uint32_t index) {
  // Any non-zero key will do; vary it so no byte pattern repeats across sockets.
  std::uint32_t x = index * 2654435761u + 0x9E3779B9u;
  return x ? x : 1;
}
}  // namespace

connection::connection(worker& w, std::uint32_t index)
    : w_(w), index_(index), mask_key_(mask_for(index)), ws_(w.io()) {}

void connection::start() {
  socket().async_connect(w_.endpoints[index_ % w_.endpoints.size()], [this](error_code ec) { on_connect(ec); });
}

void connection::on_connect(error_code ec) {
  if (ec) return fail(w_.stats.errors.connect);
  socket().set_option(tcp::no_delay(true), ec);
  ws_.auto_fragment(false);
  if (w_.format == proto::wire_format::binary) {
    ws_.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
      req.set(boost::beast::http::field::sec_websocket_protocol, std::string(proto::binary_subprotocol));
    }));
  }
  upgrade_response_.emplace();
  ws_.async_handshake(*upgrade_response_, w_.host_headers[index_ % w_.host_headers.size()], "/",
                      [this](error_code e) { on_upgrade(e); });
}

void connection::on_upgrade(error_code ec) {
  if (ec) return fail(w_.stats.errors.upgrade);
  // Asked for the binary dialect: the relay must have agreed.
  auto chosen = (*upgrade_response_)[boost::beast::http::field::sec_websocket_protocol];
  const bool agreed = std::string_view(chosen.data(), chosen.size()) == proto::binary_subprotocol;
  upgrade_response_.reset();
  if (agreed != (w_.format == proto::wire_format::binary)) return fail(w_.stats.errors.upgrade);
  handshake_buffer_.emplace();
  ws_.async_read(*handshake_buffer_, [this](error_code e, std::size_t) { on_challenge(e); });
}

void connection::on_challenge(error_code ec) {
  if (ec) return fail(w_.stats.errors.auth);
  const auto data = handshake_buffer_->cdata();
  const std::string_view text(static_cast<const char*>(data.data()), data.size());
  proto::message msg;
  if (proto::decode(text, w_.format, msg) != proto::decode_error::none) return fail(w_.stats.errors.auth);
  const auto* challenge = std::get_if<proto::auth_challenge>(&msg);
  if (!challenge) return fail(w_.stats.errors.auth);
  const auto& id = w_.topo.identities[w_.topo.conns[index_].identity];
  proto::auth_response response{proto::identity{id.cose_key}, id.key.sign_challenge(challenge->value)};
  auth_text_ = proto::encode(response, w_.format);
  handshake_buffer_.reset();
  ws_.binary(w_.format == proto::wire_format::binary);
  ws_.async_write(asio::buffer(auth_text_), [this](error_code e, std::size_t) { on_auth_written(e); });
}

void connection::on_auth_written(error_code ec) {
  if (ec) return fail(w_.stats.errors.auth);
  std::string().swap(auth_text_);
  // From here on the socket is driven raw: the relay sends nothing until it
  // has seen our next frame, so Beast holds no buffered input.
  rbuf_.resize(initial_read_buffer);
  queue_probe();
  flush();
  read_more();
}

void connection::queue_probe() {
  // A Send to ourselves: when it comes back, the relay has registered us.
  auto& s = std::get<proto::send>(w_.outgoing);
  s.destination = w_.topo.identities[w_.topo.conns[index_].identity].fp;
  write_stamp(s.payload.data(), {now_ns(), index_, probe_seq});
  w_.encoded.clear();
  proto::encode_to(w_.outgoing, w_.format, w_.encoded);
  append_client_frame(pending_buf_, message_opcode(), w_.encoded, mask_key_);
}

void connection::queue_data() {
  const auto& plan = w_.topo.conns[index_];
  auto& s = std::get<proto::send>(w_.outgoing);
  s.destination = w_.topo.identities[plan.destination].fp;
  write_stamp(s.payload.data(), {now_ns(), index_, sent_});
  w_.encoded.clear();
  proto::encode_to(w_.outgoing, w_.format, w_.encoded);
  append_client_frame(pending_buf_, message_opcode(), w_.encoded, mask_key_);
  ++sent_;
  w_.stats.sent.add();
}

void connection::start_traffic() {
  if (!alive() || w_.topo.conns[index_].destination == none) return;
  if (w_.opt.rate > 0) {
    period_ns_ = static_cast<std::uint64_t>(1e9 / w_.opt.rate);
    // Spread first sends over one period so the senders do not tick together.
    const std::uint64_t offset = period_ns_ * index_ / w_.opt.connections;
    next_send_ns_ = now_ns() + offset;
    timer_.emplace(w_.io());
    timer_->expires_after(std::chrono::nanoseconds(offset));
    timer_->async_wait([this](error_code e) { on_tick(e); });
  } else {
    pump();
  }
}

void connection::pump() {
  if (!alive() || closing_ || w_.opt.rate > 0 || !w_.flags.traffic.load(std::memory_order_relaxed)) return;
  const std::uint64_t k = w_.opt.deliveries_per_send();
  while (sent_ - delivered_ / k < w_.opt.window) queue_data();
  flush();
}

void connection::on_tick(error_code ec) {
  if (ec || !alive() || closing_ || !w_.flags.traffic.load(std::memory_order_relaxed)) return;
  if (pending_buf_.size() + writing_buf_.size() > max_pending_bytes) {
    w_.stats.errors.overrun.add();
  } else {
    queue_data();
    flush();
  }
  next_send_ns_ += period_ns_;
  const std::uint64_t now = now_ns();
  timer_->expires_after(std::chrono::nanoseconds(next_send_ns_ > now ? next_send_ns_ - now : 0));
  timer_->async_wait([this](error_code e) { on_tick(e); });
}

void connection::flush() {
  if (writing_ || pending_buf_.empty() || dead_ || finished_) return;
  writing_buf_.swap(pending_buf_);
  writing_ = true;
  asio::async_write(socket(), asio::buffer(writing_buf_), [this](error_code ec, std::size_t) { on_written(ec); });
}

void connection::on_written(error_code ec) {
  writing_ = false;
  writing_buf_.clear();  // keeps its capacity
  if (ec) {
    if (closing_) return finish();
    return fail(w_.stats.errors.disconnected);
  }
  flush();
}

void connection::read_more() {
  if (rbuf_.size() - rlen_ < 1024) rbuf_.resize(rbuf_.size() * 2);
  socket().async_read_some(asio::buffer(rbuf_.data() + rlen_, rbuf_.size() - rlen_),
                           [this](error_code ec, std::size_t n) { on_read(ec, n); });
}

void connection::on_read(error_code ec, std::size_t n) {
  if (dead_ || finished_) return;
  if (ec) {
    if (closing_) return finish();
    return fail(ready_ ? w_.stats.errors.disconnected : w_.stats.errors.auth);
  }
  rlen_ += n;
  std::size_t offset = 0;
  std::size_t needed = 0;
  connection* credited = nullptr;
  for (;;) {
    server_frame frame;
    std::size_t used = 0;
    const auto st = parse_server_frame(rbuf_.data() + offset, rlen_ - offset, max_frame, frame, used);
    if (st == parse_status::incomplete) {
      needed = used;
      break;
    }
    if (st == parse_status::bad) return fail(w_.stats.errors.protocol);
    offset += used;
    on_frame(frame, credited);
    if (dead_ || finished_) return;
  }
  if (offset > 0) {
    std::memmove(rbuf_.data(), rbuf_.data() + offset, rlen_ - offset);
    rlen_ -= offset;
  }
  if (needed > rbuf_.size()) rbuf_.resize(needed + 1024);
  // Credit once per read, so the sender writes the whole freed window at once.
  if (credited) credited->pump();
  read_more();
}

void connection::on_frame(const server_frame& f, connection*& credited) {
  switch (f.op) {
    case opcode::text:
    case opcode::binary:
      if (f.op != message_opcode()) {
        w_.stats.errors.unexpected.add();  // the other dialect's frame kind
        return;
      }
      if (f.fin) return on_message(f.payload, credited);
      fragments_.assign(f.payload);
      in_fragment_ = true;
      return;
    case opcode::continuation:
      if (!in_fragment_) return fail(w_.stats.errors.protocol);
      fragments_.append(f.payload);
      if (f.fin) {
        in_fragment_ = false;
        on_message(fragments_, credited);
      }
      return;
    case opcode::ping:
      append_client_frame(pending_buf_, opcode::pong, f.payload, mask_key_);
      return flush();
    case opcode::pong:
      return;
    case opcode::close:
      if (closing_) return finish();
      // Before the probe came back, a close means the relay refused us.
      return fail(ready_ ? w_.stats.errors.disconnected : w_.stats.errors.auth);
    default:
      w_.stats.errors.unexpected.add();
      return;
  }
}

opcode connection::message_opcode() const {
  return w_.format == proto::wire_format::binary ? opcode::binary : opcode::text;
}

void connection::on_message(std::string_view bytes, connection*& credited) {
  if (proto::decode(bytes, w_.format, w_.incoming) != proto::decode_error::none) {
    w_.stats.errors.decode.add();
    return;
  }
  const auto* s = std::get_if<proto::send>(&w_.incoming);
  if (!s || s->payload.size() < stamp_size) {
    w_.stats.errors.unexpected.add();
    return;
  }
  const stamp st = read_stamp(s->payload.data());
  if (st.seq == probe_seq) {
    // Probes of sibling devices (same identity) are seen too; only ours counts.
    if (st.sender == index_ && !ready_) {
      ready_ = true;
      w_.stats.ready.add();
      w_.stats.last_ready_ns.store(now_ns(), std::memory_order_relaxed);
      w_.handshake_finished();
    }
    return;
  }
  const auto& plan = w_.topo.conns[index_];
  if (st.sender != plan.sender) {
    w_.stats.errors.wrong_sender.add();
    return;
  }
  const auto& sender_plan = w_.topo.conns[st.sender];
  if (!s->source || *s->source != w_.topo.identities[sender_plan.identity].fp) w_.stats.errors.wrong_source.add();
  if (st.seq != next_expected_) w_.stats.errors.out_of_order.add();
  next_expected_ = st.seq + 1;
  w_.stats.received.add();
  const std::uint64_t now = now_ns();
  if (st.sent_ns >= w_.flags.measure_start_ns.load(std::memory_order_relaxed) &&
      now <= w_.flags.measure_end_ns.load(std::memory_order_relaxed) && now >= st.sent_ns) {
    w_.stats.latency.record(now - st.sent_ns);
  }
  connection* sender = w_.directory[st.sender];
  sender->delivered();
  credited = sender;
}

void connection::close() {
  if (!alive() || closing_) return;
  closing_ = true;
  if (timer_) timer_->cancel();
  if (!ready_) {
    // Still handshaking: just cut it.
    return finish();
  }
  const char code[2] = {static_cast<char>(1000 >> 8), static_cast<char>(1000 & 0xFF)};
  append_client_frame(pending_buf_, opcode::close, std::string_view(code, 2), mask_key_);
  flush();
}

void connection::finish() {
  if (finished_ || dead_) return;
  finished_ = true;
  error_code ignored;
  socket().close(ignored);
  if (timer_) timer_->cancel();
  w_.stats.closed.add();
}

void connection::fail(counter& reason) {
  if (dead_ || finished_) return;
  dead_ = true;
  reason.add();
  w_.stats.failed.add();
  error_code ignored;
  socket().close(ignored);
  if (timer_) timer_->cancel();
  if (!ready_) w_.handshake_finished();
}

}  // namespace relay::bench
