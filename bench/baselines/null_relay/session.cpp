#include "session.hpp"

#include <boost/asio/post.hpp>

#include "relay/protocol/crypto.hpp"
#include "relay/protocol/json_codec.hpp"
#include "scan.hpp"

namespace relay::null_relay {

namespace asio = boost::asio;
namespace websocket = boost::beast::websocket;

namespace {
constexpr std::size_t max_message = 16u << 20;
constexpr std::size_t max_outbound = 8u << 20;  // beyond this the client is cut (slow consumer)
}  // namespace

session::session(asio::ip::tcp::socket&& socket, registry& reg, bool direct)
    : ws_(std::move(socket)), reg_(reg), direct_(direct) {}

session::~session() {
  if (registered_) reg_.remove(fp_, this);
}

void session::start() {
  ws_.read_message_max(max_message);
  ws_.auto_fragment(false);
  websocket::stream_base::timeout timeouts{};  // as the relay: a handshake limit, no idle pings
  timeouts.handshake_timeout = std::chrono::seconds(10);
  timeouts.idle_timeout = websocket::stream_base::none();
  timeouts.keep_alive_pings = false;
  ws_.set_option(timeouts);
  ws_.async_accept([self = shared_from_this()](error_code ec) { self->on_accept(ec); });
}

void session::on_accept(error_code ec) {
  if (ec) return finish();
  protocol::auth_challenge challenge{protocol::random_challenge()};
  enqueue(std::make_shared<const std::string>(protocol::encode(challenge)));
  read();
}

void session::read() {
  ws_.async_read(buffer_, [self = shared_from_this()](error_code ec, std::size_t n) { self->on_read(ec, n); });
}

void session::on_read(error_code ec, std::size_t n) {
  if (ec) return finish();
  const std::string_view text(static_cast<const char*>(buffer_.cdata().data()), n);
  if (!registered_) {
    if (!ws_.got_text() || !authenticate(text)) {
      ws_.async_close(websocket::close_reason(websocket::close_code::policy_error, "bad auth response"),
                      [self = shared_from_this()](error_code) { self->finish(); });
      return;
    }
  } else if (ws_.got_text()) {
    route(text);
  }
  buffer_.consume(n);
  read();
}

bool session::authenticate(std::string_view text) {
  if (text.find("\"AuthResponse\"") == std::string_view::npos) return false;
  const auto cose_key = int_array_after(text, "\"cose_key_bytes\":[", 8192);
  if (!cose_key) return false;
  const auto key = public_key_in(*cose_key);
  if (key.empty()) return false;
  fp_ = protocol::sha256(key);
  prefix_ = source_prefix(fp_);
  reg_.add(fp_, this);
  registered_ = true;
  return true;
}

void session::route(std::string_view text) {
  protocol::fingerprint destination;
  if (!fingerprint_after(text, "\"destination\":[", destination)) return;
  auto spliced = splice_source(prefix_, text);
  if (spliced.empty()) return;
  const auto frame = std::make_shared<const std::string>(std::move(spliced));
  reg_.for_each(destination, [&](session& s) { s.deliver(frame); });
}

void session::deliver(frame_ptr frame) {
  if (direct_) return enqueue(std::move(frame));
  asio::post(ws_.get_executor(), [self = shared_from_this(), f = std::move(frame)]() mutable {
    self->enqueue(std::move(f));
  });
}

void session::enqueue(frame_ptr frame) {
  if (done_) return;
  if (out_bytes_ + frame->size() > max_outbound && !out_.empty()) return finish();
  out_bytes_ += frame->size();
  out_.push_back(std::move(frame));
  if (!writing_) write_next();
}

void session::write_next() {
  writing_ = true;
  ws_.text(true);
  ws_.async_write(asio::buffer(*out_.front()),
                  [self = shared_from_this()](error_code ec, std::size_t) { self->on_write(ec); });
}

void session::on_write(error_code ec) {
  writing_ = false;
  if (ec || done_) return finish();
  out_bytes_ -= out_.front()->size();
  out_.pop_front();
  if (!out_.empty()) write_next();
}

void session::finish() {
  if (done_) return;
  done_ = true;
  if (registered_) {
    reg_.remove(fp_, this);
    registered_ = false;
  }
  out_.clear();
  out_bytes_ = 0;
  error_code ignored;
  ws_.next_layer().close(ignored);
}

}  // namespace relay::null_relay
