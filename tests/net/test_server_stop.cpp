// Stopping a server that runs its own event loop (an embedding program's
// actor_system without the relay's I/O scheduler), over and over, with no
// connection ever made: stop() may land before the loop ran anything. Each
// round must end with run() returned, the listener closed and the actor
// system able to finish (a handler left pending would keep the server's
// state, and with it the relay core's actors, alive: ~actor_system would
// then wait forever and the test would hit its timeout).
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include <boost/asio.hpp>
#include <caf/all.hpp>

#include "relay/actors/extensions.hpp"
#include "relay/actors/relay_core.hpp"
#include "relay/net/server.hpp"

namespace {

bool port_accepts(std::uint16_t port) {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::socket socket{ioc};
  boost::system::error_code ec;
  socket.connect({boost::asio::ip::address_v4::loopback(), port}, ec);
  return !ec;
}

relay::net::server_options loopback_any_port(unsigned io_threads) {
  relay::net::server_options opts;
  opts.host = "127.0.0.1";
  opts.port = 0;
  opts.io_threads = io_threads;
  opts.shutdown_grace_ms = 200;
  return opts;
}

}  // namespace

TEST_CASE("an embedded server stopped right after start, with no connection, ends and closes its listener",
          "[server][stop]") {
  for (int round = 0; round < 60; ++round) {
    INFO("round " << round);
    std::uint16_t port = 0;
    {
      caf::actor_system_config cfg;
      caf::actor_system sys{cfg};
      // An observer of the embedding program, as in examples/embedded_relay:
      // nothing stops it but its last reference going away.
      relay::relay_extensions ext;
      // Spawned with an argument: CAF 0.17's argument-less spawn of a
      // function actor binds a reference to a null tuple (UBSan).
      ext.observer = sys.spawn(
          [](caf::event_based_actor*, int) -> caf::behavior { return {[](const relay::observer_event&) {}}; }, 0);
      auto core = relay::spawn_relay_core(sys, relay::relay_config{}, ext);
      {
        relay::net::server srv{sys, core, loopback_any_port(1 + round % 2)};
        srv.start();
        port = srv.port();
        REQUIRE(port != 0);
        std::thread runner([&srv] { srv.run(false); });
        // Odd rounds stop at once (often before the loop ran), even ones 2 ms later.
        if (round % 2 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
        srv.stop();
        runner.join();
        CHECK_FALSE(srv.accepting());
        CHECK_FALSE(port_accepts(port));
      }
      relay::shutdown_relay_core(core);
    }  // ~actor_system: hangs if anything still holds the core's actors
  }
}
