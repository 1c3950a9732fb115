// null_relay: the parse-free Beast relay the real relay is benchmarked
// against (issue #6). It speaks just enough of the protocol for real
// clients: an AuthChallenge, any AuthResponse accepted without checking
// the signature (the COSE_Key's public key is fingerprinted with SHA-256 so
// routing by real fingerprints works), and Send frames routed by a string
// search for the destination and forwarded with the source spliced in.
// Not a relay anyone should deploy.
//
//   null_relay [--listen HOST:PORT] [--threads N]
// Prints "listening on ws://HOST:PORT" when ready (port 0 picks a free one).
#include <sys/resource.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "listener.hpp"
#include "registry.hpp"
#include "relay/protocol/crypto.hpp"

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

[[noreturn]] void usage_error(const std::string& msg) {
  std::fprintf(stderr, "null_relay: %s (usage: null_relay [--listen HOST:PORT] [--threads N])\n", msg.c_str());
  std::exit(2);
}

tcp::endpoint parse_listen(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) usage_error("--listen needs HOST:PORT");
  std::string_view host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string_view port_text = text.substr(colon + 1);
  unsigned port = 0;
  auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || p != port_text.data() + port_text.size() || port > 65535) usage_error("bad port");
  boost::system::error_code aec;
  const auto address = asio::ip::make_address(std::string(host), aec);
  if (aec) usage_error("bad address " + std::string(host));
  return {address, static_cast<unsigned short>(port)};
}

void raise_open_files() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const char* env = std::getenv("BIND_ADDR");
  std::string listen = env && *env ? env : "127.0.0.1:8080";
  unsigned threads = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::puts("usage: null_relay [--listen HOST:PORT] [--threads N]");
      return 0;
    }
    if (i + 1 >= argc) usage_error("missing value for " + std::string(flag));
    const std::string_view value = argv[++i];
    if (flag == "--listen") {
      listen = std::string(value);
    } else if (flag == "--threads") {
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), threads);
      if (ec != std::errc{} || p != value.data() + value.size() || threads == 0 || threads > 64) {
        usage_error("bad --threads");
      }
    } else {
      usage_error("unknown flag " + std::string(flag));
    }
  }
  const tcp::endpoint at = parse_listen(listen);
  if (!relay::protocol::crypto_init()) {
    std::fprintf(stderr, "null_relay: libsodium cannot start\n");
    return 1;
  }
  raise_open_files();

  relay::null_relay::registry reg;  // outlives the io_context and its sessions
  asio::io_context io(static_cast<int>(threads));
  std::shared_ptr<relay::null_relay::listener> server;
  try {
    server = std::make_shared<relay::null_relay::listener>(io, at, reg, threads > 1);
  } catch (const boost::system::system_error& e) {
    std::fprintf(stderr, "null_relay: cannot listen on %s: %s\n", listen.c_str(), e.what());
    return 1;
  }
  server->run();
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code, int) {
    // Stop accepting and end; sockets close when the sessions are destroyed.
    server->stop();
    io.stop();
  });
  const auto bound = server->local_endpoint();
  const std::string host = bound.address().is_v6() ? "[" + bound.address().to_string() + "]" : bound.address().to_string();
  std::cout << "listening on ws://" << host << ":" << bound.port() << std::endl;

  std::vector<std::thread> extra;
  for (unsigned t = 1; t < threads; ++t) extra.emplace_back([&] { io.run(); });
  io.run();
  for (auto& t : extra) t.join();
  return 0;
}
