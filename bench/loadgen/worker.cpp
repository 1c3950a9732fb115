#include "worker.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include "connection.hpp"

namespace relay::bench {

worker::worker(const options& o, const topology& t, phase_flags& f,
               std::vector<boost::asio::ip::tcp::endpoint> eps, std::vector<connection*>& dir)
    : opt(o), topo(t), flags(f), endpoints(std::move(eps)), directory(dir) {
  for (const auto& ep : endpoints)
    host_headers.push_back((ep.address().is_v6() ? "[" + ep.address().to_string() + "]" : ep.address().to_string()) +
                           ":" + std::to_string(ep.port()));
  protocol::send s;
  s.payload.assign(opt.payload, 0);
  for (std::size_t i = 0; i < s.payload.size(); ++i) s.payload[i] = static_cast<std::uint8_t>(i * 7 + 1);
  outgoing = std::move(s);
  incoming = protocol::send{};
  std::get<protocol::send>(incoming).payload.reserve(2 * opt.payload + 64);
  encoded.reserve(4 * opt.payload + 256);
  format = opt.binary ? protocol::wire_format::binary : protocol::wire_format::json;
}

worker::~worker() { join(); }

void worker::adopt(std::uint32_t index) {
  conns_.push_back(std::make_unique<connection>(*this, index));
  directory[index] = conns_.back().get();
}

void worker::start() {
  thread_ = std::thread([this] {
    auto guard = boost::asio::make_work_guard(io_);
    io_.run();
  });
}

void worker::join() {
  if (thread_.joinable()) thread_.join();
}

void worker::stop() { io_.stop(); }

void worker::begin_connecting() {
  boost::asio::post(io_, [this] {
    handshake_slots_ = std::max<std::size_t>(1, opt.inflight / opt.threads);
    while (handshake_slots_ > 0 && next_to_start_ < conns_.size()) {
      --handshake_slots_;
      conns_[next_to_start_++]->start();
    }
  });
}

void worker::handshake_finished() {
  if (next_to_start_ < conns_.size() && !flags.closing.load(std::memory_order_relaxed)) {
    conns_[next_to_start_++]->start();
  } else {
    ++handshake_slots_;
  }
}

void worker::begin_traffic() {
  boost::asio::post(io_, [this] {
    for (auto& c : conns_) c->start_traffic();
  });
}

void worker::begin_closing() {
  boost::asio::post(io_, [this] {
    for (auto& c : conns_) c->close();
  });
}

}  // namespace relay::bench
