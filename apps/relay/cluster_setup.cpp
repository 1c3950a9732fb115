#include "cluster_setup.hpp"

#include <cstdio>
#include <fstream>
#include <iterator>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "relay/actors/cluster.hpp"
#include "relay/log.hpp"
#include "relay/net/admin.hpp"
#include "relay/net/cluster_gate.hpp"

namespace relay::app {

namespace {

constexpr std::size_t min_secret_size = 16;
constexpr std::size_t max_secret_size = 4096;

bool is_loopback(const std::string& host) { return host == "localhost" || net::is_loopback_host(host); }

// The shared secret: the file's bytes without trailing whitespace.
bool read_secret(const std::string& file, std::string& out) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "relay: cannot read --cluster-psk-file '%s'\n", file.c_str());
    return false;
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ' || text.back() == '\t'))
    text.pop_back();
  if (text.size() < min_secret_size || text.size() > max_secret_size) {
    std::fprintf(stderr, "relay: --cluster-psk-file '%s' must hold %zu to %zu bytes (e.g. openssl rand -hex 32)\n",
                 file.c_str(), min_secret_size, max_secret_size);
    return false;
  }
  out = std::move(text);
  return true;
}

// With TLS a node's name is one its certificate vouches for.
bool certificate_name(const cluster_flags& flags, std::string& name) {
  auto names = net::cluster_certificate_names(flags.cert);
  if (names.empty()) {
    std::fprintf(stderr, "relay: --cluster-cert '%s' has no CN or DNS name to use as the node name\n",
                 flags.cert.c_str());
    return false;
  }
  if (flags.node_name.empty()) {
    name = names.front();
    return true;
  }
  for (const auto& n : names)
    if (n == flags.node_name) return (name = n), true;
  std::string all;
  for (const auto& n : names) all += (all.empty() ? "" : ", ") + n;
  std::fprintf(stderr,
               "relay: --node-name %s is not a name in --cluster-cert (it has: %s); peers would refuse it\n",
               flags.node_name.c_str(), all.c_str());
  return false;
}

}  // namespace

bool configure_cluster(const cluster_flags& flags, caf::actor_system_config& cfg) {
  if (!flags.listen.empty() && !flags.tls() && flags.psk_file.empty()) {
    net::server_options where;
    net::parse_listen_address(flags.listen, where);
    if (!is_loopback(where.host)) {
      std::fprintf(stderr,
                   "relay: refusing to open cluster port %s without TLS or a shared secret: anyone reaching it "
                   "could join the cluster. Use a loopback address, --cluster-psk-file, or "
                   "--cluster-cert/--cluster-key/--cluster-ca.\n",
                   flags.listen.c_str());
      return false;
    }
  }
  // The middleman only ever talks to the cluster gate, over loopback.
  cfg.load<caf::io::middleman>();
  // Loss of a peer that stops answering (not only one whose socket closes)
  // is detected within the timeout.
  cfg.set("middleman.heartbeat-interval", caf::timespan{flags.timeout / 4});
  cfg.set("middleman.connection-timeout", caf::timespan{flags.timeout});
  add_cluster_message_types(cfg);
  return true;
}

bool start_cluster(const cluster_flags& flags, caf::actor_system& sys, relay_core& core, cluster_runtime& runtime) {
  runtime.sys = &sys;
  std::string name = flags.node_name;
  if (flags.tls() && !certificate_name(flags, name)) return false;
  net::cluster_gate_options gate_opts;
  gate_opts.cert = flags.cert;
  gate_opts.key = flags.key;
  gate_opts.ca = flags.ca;
  gate_opts.attempts_per_ip = flags.attempts_per_ip;
  gate_opts.pending_per_ip = flags.pending_per_ip;
  gate_opts.handshake_timeout = flags.handshake_timeout;
  if (!flags.psk_file.empty() && !read_secret(flags.psk_file, gate_opts.secret)) return false;
  net::server_options where;
  if (!flags.listen.empty()) {
    net::parse_listen_address(flags.listen, where);
    gate_opts.host = where.host == "localhost" ? "127.0.0.1" : where.host;
    gate_opts.port = where.port;
  }

  try {
    runtime.gate = std::make_shared<net::cluster_gate>(gate_opts, core.stats);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "relay: %s\n", e.what());
    return false;
  }
  cluster_options opts;
  opts.node_name = name;
  opts.advertise_address = flags.listen;
  opts.peers = flags.peers;
  std::weak_ptr<net::cluster_gate> gate = runtime.gate;
  opts.route = [gate](const std::string& host,
                      std::uint16_t port) -> std::optional<std::pair<std::string, std::uint16_t>> {
    auto g = gate.lock();
    if (!g) return std::nullopt;
    auto local = g->forwarder_for(host, port);
    if (!local) return std::nullopt;
    return std::make_pair(std::string("127.0.0.1"), *local);
  };
  opts.authenticated_name = [gate](std::uint16_t port) -> std::optional<std::string> {
    auto g = gate.lock();
    return g ? g->peer_name_at(port) : std::nullopt;
  };
  auto node = spawn_cluster_node(sys, core, opts, sys.middleman().actor_handle());
  std::string address;
  std::uint16_t mm_port = 0;
  if (!flags.listen.empty()) {
    // The middleman listens on loopback only; the gate decides who reaches it.
    auto published = sys.middleman().publish(node, 0, "127.0.0.1", true);
    if (!published) {
      std::fprintf(stderr, "relay: cannot open the cluster's internal port: %s\n",
                   sys.render(published.error()).c_str());
      return false;
    }
    mm_port = *published;
    try {
      auto port = runtime.gate->bind();
      // With port 0 the real address is known only now.
      bool v6 = gate_opts.host.find(':') != std::string::npos;
      address = (v6 ? "[" + gate_opts.host + "]" : gate_opts.host) + ":" + std::to_string(port);
      if (!flags.tls() && name == flags.listen) name = address;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "relay: cannot open cluster port %s: %s\n", flags.listen.c_str(), e.what());
      return false;
    }
  }
  runtime.gate->start(name, mm_port);
  start_cluster_node(node, name, address);
  if (!address.empty()) {
    const char* how = flags.tls() ? (gate_opts.secret.empty() ? " (mutual TLS)" : " (mutual TLS, shared secret)")
                                  : (gate_opts.secret.empty() ? "" : " (shared secret)");
    std::printf("cluster listening on %s%s\n", address.c_str(), how);
    std::fflush(stdout);
    RELAY_LOG(info, "cluster node " << name << " on " << address
                                    << (flags.tls() ? " with mutual TLS"
                                                    : gate_opts.secret.empty() ? " (plain, loopback only)"
                                                                               : " with a shared secret"));
  }
  return true;
}

cluster_runtime::~cluster_runtime() {
  if (gate) gate->stop();
  if (sys == nullptr) return;
  // The BASP broker schedules its next heartbeat tick to itself on the
  // actor clock. CAF 0.17.6 finalizes brokers without closing their mailbox
  // (abstract_broker::cleanup skips scheduled_actor::cleanup), so a tick the
  // clock delivers while ~actor_system stops the middleman stays in that
  // mailbox, and the message's sender, the broker itself, keeps the broker
  // alive forever (a leak LeakSanitizer reports at exit). Once every actor of
  // ours is done no timer is needed any more: drop them before the
  // middleman stops.
  sys->await_all_actors_done();
  sys->clock().cancel_all();
}

}  // namespace relay::app
