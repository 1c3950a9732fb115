#include "cluster_setup.hpp"

#include <cstdio>

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <caf/openssl/all.hpp>

#include "relay/actors/cluster.hpp"
#include "relay/log.hpp"

namespace relay::app {

namespace {

bool is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

}  // namespace

bool configure_cluster(const cluster_flags& flags, caf::actor_system_config& cfg) {
  if (!flags.listen.empty() && !flags.tls()) {
    net::server_options where;
    net::parse_listen_address(flags.listen, where);
    if (!is_loopback(where.host)) {
      // The middleman lets anyone who reaches the port send actor messages.
      std::fprintf(stderr,
                   "relay: refusing to open cluster port %s without TLS: anyone reaching it could "
                   "inject messages. Use a loopback address or give --cluster-cert/--cluster-key/--cluster-ca.\n",
                   flags.listen.c_str());
      return false;
    }
  }
  cfg.load<caf::io::middleman>();
  if (flags.tls()) {
    cfg.load<caf::openssl::manager>();
    cfg.openssl_certificate = flags.cert;
    cfg.openssl_key = flags.key;
    cfg.openssl_cafile = flags.ca;
  }
  // Loss of a peer that stops answering (not only one whose socket closes)
  // is detected within the timeout.
  cfg.set("middleman.heartbeat-interval", caf::timespan{flags.timeout / 4});
  cfg.set("middleman.connection-timeout", caf::timespan{flags.timeout});
  add_cluster_message_types(cfg);
  return true;
}

bool start_cluster(const cluster_flags& flags, caf::actor_system& sys, relay_core& core) {
  cluster_options opts;
  opts.node_name = flags.node_name;
  opts.advertise_address = flags.listen;
  opts.peers = flags.peers;
  auto mm = flags.tls() ? sys.openssl_manager().actor_handle() : sys.middleman().actor_handle();
  auto node = spawn_cluster_node(sys, core, opts, mm);
  if (flags.listen.empty()) {
    start_cluster_node(node, flags.node_name, {});
    return true;
  }
  net::server_options where;
  net::parse_listen_address(flags.listen, where);
  auto port = flags.tls() ? caf::openssl::publish(node, where.port, where.host.c_str(), true)
                          : sys.middleman().publish(node, where.port, where.host.c_str(), true);
  if (!port) {
    std::fprintf(stderr, "relay: cannot open cluster port %s: %s\n", flags.listen.c_str(),
                 sys.render(port.error()).c_str());
    return false;
  }
  // With port 0 the real address is known only now.
  bool v6 = where.host.find(':') != std::string::npos;
  auto address = (v6 ? "[" + where.host + "]" : where.host) + ":" + std::to_string(*port);
  auto name = flags.node_name == flags.listen ? address : flags.node_name;
  start_cluster_node(node, name, address);
  std::printf("cluster listening on %s%s\n", address.c_str(), flags.tls() ? " (mutual TLS)" : "");
  std::fflush(stdout);
  RELAY_LOG(info, "cluster node " << name << " on " << address
                                  << (flags.tls() ? " with mutual TLS" : " (plain, loopback only)"));
  return true;
}

}  // namespace relay::app
