// relay: the server. Parses options, starts the actor system and the
// WebSocket front end, serves until SIGINT/SIGTERM.
#include <iostream>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "options.hpp"
#include "relay/log.hpp"

int main(int argc, char** argv) {
  relay::app::relay_options opts;
  switch (relay::app::parse_options(argc, argv, opts)) {
    case relay::app::parse_outcome::exit_ok: return 0;
    case relay::app::parse_outcome::exit_usage: return 2;
    case relay::app::parse_outcome::run: break;
  }
  relay::log::set_level(opts.log_level);
  auto files = relay::net::raise_open_files_limit();
  RELAY_LOG(debug, "open-files limit " << files);

  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", static_cast<std::size_t>(opts.workers));
  caf::actor_system sys{cfg};
  auto core = relay::spawn_relay_core(sys, opts.core);
  relay::net::server server{sys, core, opts.server};
  try {
    server.start();
  } catch (const std::exception& e) {
    std::cerr << "relay: " << e.what() << "\n";
    relay::shutdown_relay_core(core);
    return 1;
  }
  const auto& host = opts.server.host;
  bool v6 = host.find(':') != std::string::npos;
  std::cout << "listening on ws://" << (v6 ? "[" + host + "]" : host) << ":" << server.port() << std::endl;
  RELAY_LOG(info, "relay ready on " << host << ":" << server.port());
  server.run(true);
  relay::shutdown_relay_core(core);
  RELAY_LOG(info, "relay stopped");
  return 0;
}
