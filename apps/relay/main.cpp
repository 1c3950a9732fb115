// relay: the server. Parses options, starts the actor system and the
// WebSocket front end, serves until SIGINT/SIGTERM.
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "cluster_setup.hpp"
#include "options.hpp"
#include "relay/log.hpp"
#include "relay/net/io_threads.hpp"

int main(int argc, char** argv) {
  relay::app::relay_options opts;
  switch (relay::app::parse_options(argc, argv, opts)) {
    case relay::app::parse_outcome::exit_ok: return 0;
    case relay::app::parse_outcome::exit_usage: return 2;
    case relay::app::parse_outcome::run: break;
  }
  relay::log::set_level(opts.log_level);
  relay::log::set_format(opts.log_format);
  auto files = relay::net::raise_open_files_limit();
  RELAY_LOG(debug, "open-files limit " << files);

  caf::actor_system_config cfg;
  if (opts.workers > 0)
    cfg.set("scheduler.max-threads", static_cast<std::size_t>(opts.workers));
  else
    relay::net::run_actors_on_io_threads(cfg, opts.server.io_threads);
  if (opts.cluster.enabled() && !relay::app::configure_cluster(opts.cluster, cfg)) return 2;
  caf::actor_system sys{cfg};
  auto core = relay::spawn_relay_core(sys, opts.core);
  relay::app::cluster_runtime cluster;  // stops before `sys` goes
  if (opts.cluster.enabled() && !relay::app::start_cluster(opts.cluster, sys, core, cluster)) {
    relay::shutdown_relay_core(core);
    return 1;
  }
  return relay::net::serve_until_signal(sys, core, opts.server);
}
