#include "listener.hpp"

#include <boost/asio/strand.hpp>

#include "session.hpp"

namespace relay::null_relay {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

listener::listener(asio::io_context& io, const tcp::endpoint& at, registry& reg, bool strands)
    : io_(io), acceptor_(io), backoff_(io), reg_(reg), strands_(strands) {
  acceptor_.open(at.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(at);
  acceptor_.listen(asio::socket_base::max_listen_connections);
}

void listener::run() { accept(); }

void listener::stop() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  backoff_.cancel();
}

void listener::accept() {
  auto on_accept = [self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !self->acceptor_.is_open()) return;
    if (ec) {
      // Out of descriptors (or similar): back off instead of spinning.
      self->backoff_.expires_after(std::chrono::milliseconds(50));
      self->backoff_.async_wait([self](boost::system::error_code e) {
        if (!e) self->accept();
      });
      return;
    }
    socket.set_option(tcp::no_delay(true), ec);
    std::make_shared<session>(std::move(socket), self->reg_, !self->strands_)->start();
    self->accept();
  };
  if (strands_) {
    acceptor_.async_accept(asio::make_strand(io_), std::move(on_accept));
  } else {
    acceptor_.async_accept(io_, std::move(on_accept));
  }
}

}  // namespace relay::null_relay
