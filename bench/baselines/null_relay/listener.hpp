// Accepts TCP connections and starts a session for each.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>

#include "registry.hpp"

namespace relay::null_relay {

class listener : public std::enable_shared_from_this<listener> {
 public:
  /// Binds and listens; throws boost::system::system_error if it cannot.
  listener(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& at, registry& reg, bool strands);

  boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }
  void run();
  void stop();

 private:
  void accept();

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer backoff_;
  registry& reg_;
  const bool strands_;
};

}  // namespace relay::null_relay
