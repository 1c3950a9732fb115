#include "options.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>

#include "relay/version.hpp"

namespace relay::app {

namespace {

const char* usage_text = R"(usage: relay [options]

A zero-knowledge WebSocket relay, wire-compatible with ap-proxy / ap-relay.

options:
  --listen HOST:PORT              address to listen on (default 127.0.0.1:8080,
                                  or $BIND_ADDR); port 0 picks a free port;
                                  IPv6 as [::1]:8080
  --auth-timeout SECONDS          time to answer the challenge (default 5;
                                  fractions allowed, e.g. 0.5)
  --idle-timeout SECONDS          close connections silent this long (default 120)
  --rendezvous-ttl SECONDS        lifetime of a rendezvous code (default 300)
  --max-message BYTES             largest inbound message; larger closes with
                                  1009 (default 16777216)
  --max-outbound BYTES            bytes queued for one client before it is
                                  closed as a slow consumer (default 8388608)
  --max-codes-per-identity N      live rendezvous codes per identity; one more
                                  retires the oldest (default 8)
  --max-live-codes N              live rendezvous codes relay-wide (default 100000)
  --max-connections-per-identity N
                                  devices per identity; one more is refused
                                  with 1008 (default 64)
  --max-connections N             simultaneous connections (default 100000)
  --connections-per-ip RATE       new connections per second per client IP
                                  (default 20, burst 2x)
  --auth-failures-per-ip N        failed authentications per minute per IP,
                                  then HTTP 429 until it refills (default 10)
  --claims-per-connection N       GetIdentity per minute per connection (default 30)
  --claims-per-ip N               GetIdentity per minute per client IP (default 60)
  --codes-per-connection N        GetRendezvous per minute per connection (default 30)
  --codes-per-ip N                GetRendezvous per minute per client IP (default 60)
  --messages-per-connection RATE  hard cap on messages per second per connection;
                                  excess is read more slowly, not dropped
                                  (default 0: no cap)
  --bytes-per-connection RATE     hard cap on inbound bytes per second per
                                  connection, back-pressured the same way
                                  (default 0: no cap)
  --limit-loopback                apply per-IP limits to loopback clients too
  --trust-proxy                   take the client IP from X-Forwarded-For
                                  (only behind your own reverse proxy)
  --io-threads N                  threads running sockets and actors together:
                                  half serve sockets, half help a busy one
                                  (default: one per core, at least 2)
  --workers N                     run actors on a separate pool of N CAF worker
                                  threads instead (default: off, actors run on
                                  the --io-threads threads)
  --log-level LEVEL               debug, info, warn, error or off (default info)
  --tls-cert FILE                 serve wss:// with this PEM certificate chain
                                  (with --tls-key; default: plain ws://, for
                                  loopback or behind a TLS-terminating proxy)
  --tls-key FILE                  the certificate's PEM private key
  --log-format text|json          one line per event on stderr: key=value pairs
                                  (default text) or one JSON object per line
  --drain-seconds SECONDS         after SIGINT/SIGTERM keep serving this long with
                                  /readyz answering 503, then stop (default 5;
                                  0 stops at once; a second signal stops at once)

metrics and health (see docs/operating.md, "Metrics, health and logs"):
  --admin-listen HOST:PORT        serve /metrics (Prometheus), /healthz and /readyz
                                  over plain HTTP there (default off; port 0 picks
                                  a free port, printed as "admin listening on ...")
  --admin-allow-remote            allow a non-loopback --admin-listen address; the
                                  admin port has no TLS and no authentication, so
                                  without this flag only loopback is accepted

cluster (see docs/clustering.md):
  --cluster-listen HOST:PORT      this node's cluster port (peers must authenticate
                                  there before any cluster message is read)
  --peer HOST:PORT                a node to join (repeatable); more are learned
  --node-name NAME                this node's name (default: cluster address)
  --cluster-timeout SECONDS       a silent peer is declared lost after this (default 5)
  --cluster-cert FILE             PEM certificate for mutual TLS between nodes
  --cluster-key FILE              its PEM private key
  --cluster-ca FILE               PEM CA that signed every node's certificate;
                                  with TLS a node's name is its certificate's CN
                                  (or a DNS SAN given as --node-name)
  --cluster-psk-file FILE         shared secret (at least 16 bytes) every node
                                  proves on each cluster connection; without TLS
                                  or this the cluster port must be loopback
  --cluster-attempts-per-ip RATE  new cluster-port connections per second per
                                  address before refusing (default 20, burst 2x)
  --cluster-pending-per-ip N      unauthenticated cluster-port connections at
                                  once per address (default 8)
  --cluster-handshake-timeout SECONDS
                                  time a cluster connection has to authenticate
                                  (default 5)
  --help                          show this text and exit
  --version                       print the version and git commit and exit

The relay prints "listening on ws://HOST:PORT" (wss:// with --tls-cert) once
it accepts connections.
SIGINT/SIGTERM: /readyz turns 503, clients are served for --drain-seconds,
then the relay stops accepting, closes every client with 1001, tells its
cluster peers it leaves (they purge its routes at once) and exits 0.
SIGHUP (with --tls-cert): re-read the certificate and key for new connections;
open connections are kept; if the files are bad the old certificate stays.
)";

bool parse_seconds(const std::string& text, std::chrono::milliseconds& out) {
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(value) || value <= 0 ||
      value > 365.0 * 24 * 3600)
    return false;
  out = std::chrono::milliseconds(static_cast<long long>(std::llround(value * 1000.0)));
  return out.count() > 0;
}

// Like parse_seconds, but 0 is allowed (whole milliseconds, at most a day).
bool parse_seconds_or_zero(const std::string& text, unsigned& out_ms) {
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(value) || value < 0 || value > 24 * 3600)
    return false;
  out_ms = static_cast<unsigned>(std::llround(value * 1000.0));
  return true;
}

bool parse_rate(const std::string& text, double& out, bool zero_is_off = false) {
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(value) || value < 0) return false;
  if (value == 0 && !zero_is_off) return false;
  out = value;
  return true;
}

// For caps where 0 means "no cap".
bool parse_cap(const std::string& text, double& out) { return parse_rate(text, out, true); }

template <class Int>
bool parse_count(const std::string& text, Int& out, Int min = 1) {
  Int value{};
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || ptr != text.data() + text.size() || value < min) return false;
  out = value;
  return true;
}

}  // namespace

parse_outcome parse_options(int argc, char** argv, relay_options& out) {
  auto fail = [](const std::string& message) {
    std::cerr << "relay: " << message << " (see relay --help)\n";
    return parse_outcome::exit_usage;
  };
  std::string listen = "127.0.0.1:8080";
  if (const char* bind = std::getenv("BIND_ADDR"); bind && *bind) listen = bind;

  std::string admin_listen;
  bool admin_allow_remote = false;
  out.server.drain_ms = 5000;  // --drain-seconds (the library's own default is 0)

  using setter = std::function<bool(const std::string&)>;
  auto& c = out.core;
  std::map<std::string, std::pair<setter, const char*>> flags{
    {"--listen", {[&](const std::string& v) { return (listen = v), true; }, "HOST:PORT"}},
    {"--auth-timeout", {[&](const std::string& v) { return parse_seconds(v, c.auth_timeout); }, "seconds > 0"}},
    {"--idle-timeout", {[&](const std::string& v) { return parse_seconds(v, c.idle_timeout); }, "seconds > 0"}},
    {"--rendezvous-ttl", {[&](const std::string& v) { return parse_seconds(v, c.rendezvous_ttl); }, "seconds > 0"}},
    {"--max-message", {[&](const std::string& v) { return parse_count(v, c.max_message, std::size_t{64}); }, "bytes >= 64"}},
    {"--max-outbound", {[&](const std::string& v) { return parse_count(v, c.max_outbound_bytes, std::size_t{1024}); }, "bytes >= 1024"}},
    {"--max-codes-per-identity", {[&](const std::string& v) { return parse_count(v, c.max_codes_per_identity); }, "a count >= 1"}},
    {"--max-live-codes", {[&](const std::string& v) { return parse_count(v, c.max_live_codes); }, "a count >= 1"}},
    {"--max-connections-per-identity", {[&](const std::string& v) { return parse_count(v, c.max_connections_per_identity); }, "a count >= 1"}},
    {"--max-connections", {[&](const std::string& v) { return parse_count(v, c.max_connections); }, "a count >= 1"}},
    {"--connections-per-ip", {[&](const std::string& v) { return parse_rate(v, c.connections_per_ip_per_second); }, "a rate > 0"}},
    {"--auth-failures-per-ip", {[&](const std::string& v) { return parse_rate(v, c.auth_failures_per_ip_per_minute); }, "a count > 0"}},
    {"--claims-per-connection", {[&](const std::string& v) { return parse_rate(v, c.claims_per_connection_per_minute); }, "a count > 0"}},
    {"--claims-per-ip", {[&](const std::string& v) { return parse_rate(v, c.claims_per_ip_per_minute); }, "a count > 0"}},
    {"--codes-per-connection", {[&](const std::string& v) { return parse_rate(v, c.codes_per_connection_per_minute); }, "a count > 0"}},
    {"--codes-per-ip", {[&](const std::string& v) { return parse_rate(v, c.codes_per_ip_per_minute); }, "a count > 0"}},
    {"--messages-per-connection", {[&](const std::string& v) { return parse_cap(v, c.messages_per_connection_per_second); }, "a rate >= 0 (0: no cap)"}},
    {"--bytes-per-connection", {[&](const std::string& v) { return parse_cap(v, c.bytes_per_connection_per_second); }, "a rate >= 0 (0: no cap)"}},
    {"--io-threads", {[&](const std::string& v) { return parse_count(v, out.server.io_threads) && out.server.io_threads <= 64; }, "1..64"}},
    {"--workers", {[&](const std::string& v) { return parse_count(v, out.workers) && out.workers <= 64; }, "1..64"}},
    {"--cluster-listen", {[&](const std::string& v) { return (out.cluster.listen = v), true; }, "HOST:PORT"}},
    {"--peer", {[&](const std::string& v) { return out.cluster.peers.push_back(v), true; }, "HOST:PORT"}},
    {"--node-name", {[&](const std::string& v) { return (out.cluster.node_name = v), !v.empty(); }, "a name"}},
    {"--cluster-timeout", {[&](const std::string& v) { return parse_seconds(v, out.cluster.timeout); }, "seconds > 0"}},
    {"--cluster-cert", {[&](const std::string& v) { return (out.cluster.cert = v), true; }, "a file"}},
    {"--cluster-key", {[&](const std::string& v) { return (out.cluster.key = v), true; }, "a file"}},
    {"--cluster-ca", {[&](const std::string& v) { return (out.cluster.ca = v), true; }, "a file"}},
    {"--cluster-psk-file", {[&](const std::string& v) { return (out.cluster.psk_file = v), !v.empty(); }, "a file"}},
    {"--cluster-attempts-per-ip", {[&](const std::string& v) { return parse_rate(v, out.cluster.attempts_per_ip); }, "a rate > 0"}},
    {"--cluster-pending-per-ip", {[&](const std::string& v) { return parse_count(v, out.cluster.pending_per_ip); }, "a count >= 1"}},
    {"--cluster-handshake-timeout", {[&](const std::string& v) { return parse_seconds(v, out.cluster.handshake_timeout); }, "seconds > 0"}},
    {"--log-level", {[&](const std::string& v) { return log::parse_level(v, out.log_level); }, "debug|info|warn|error|off"}},
    {"--tls-cert", {[&](const std::string& v) { return (out.server.tls_cert = v), !v.empty(); }, "a file"}},
    {"--tls-key", {[&](const std::string& v) { return (out.server.tls_key = v), !v.empty(); }, "a file"}},
    {"--log-format", {[&](const std::string& v) { return log::parse_format(v, out.log_format); }, "text|json"}},
    {"--admin-listen", {[&](const std::string& v) { return (admin_listen = v), true; }, "HOST:PORT"}},
    {"--drain-seconds", {[&](const std::string& v) { return parse_seconds_or_zero(v, out.server.drain_ms); }, "seconds >= 0, at most 86400"}},
  };

  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--limit-loopback") {
      c.limit_loopback = true;
      continue;
    }
    if (arg == "--trust-proxy") {
      c.trust_proxy = true;
      continue;
    }
    if (arg == "--help" || arg == "-h") {
      std::cout << usage_text;
      return parse_outcome::exit_ok;
    }
    if (arg == "--version") {
      std::cout << "relay " << relay::version() << " (commit " << relay::git_commit() << ")\n";
      return parse_outcome::exit_ok;
    }
    if (arg == "--admin-allow-remote") {
      admin_allow_remote = true;
      continue;
    }
    std::string value;
    bool has_value = false;
    if (auto eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_value = true;
    }
    auto flag = flags.find(arg);
    if (flag == flags.end()) return fail("unknown option '" + arg + "'");
    if (!has_value) {
      if (i + 1 >= argc) return fail("option " + arg + " needs a value");
      value = argv[++i];
    }
    if (!flag->second.first(value))
      return fail("invalid value '" + value + "' for " + arg + ": expected " + flag->second.second);
  }
  if (!net::parse_listen_address(listen, out.server))
    return fail("invalid listen address '" + listen + "': expected HOST:PORT");
  if (out.server.tls_cert.empty() != out.server.tls_key.empty())
    return fail("--tls-cert and --tls-key go together");
  auto& cl = out.cluster;
  net::server_options probe;
  if (!cl.listen.empty() && !net::parse_listen_address(cl.listen, probe))
    return fail("invalid --cluster-listen address '" + cl.listen + "': expected HOST:PORT");
  for (const auto& peer : cl.peers)
    if (!net::parse_listen_address(peer, probe) || probe.port == 0)
      return fail("invalid --peer address '" + peer + "': expected HOST:PORT");
  bool any_tls = !cl.cert.empty() || !cl.key.empty() || !cl.ca.empty();
  if (any_tls && (cl.cert.empty() || cl.key.empty() || cl.ca.empty()))
    return fail("--cluster-cert, --cluster-key and --cluster-ca go together");
  if (!admin_listen.empty()) {
    net::server_options admin_address;
    if (!net::parse_listen_address(admin_listen, admin_address))
      return fail("invalid --admin-listen address '" + admin_listen + "': expected HOST:PORT");
    if (!admin_allow_remote && !net::is_loopback_host(admin_address.host))
      return fail("--admin-listen " + admin_listen +
                  " is not a loopback address; the admin port has no TLS or authentication (add --admin-allow-remote to expose it anyway)");
    out.server.admin.enabled = true;
    out.server.admin.host = admin_address.host;
    out.server.admin.port = admin_address.port;
    out.server.admin.expect_peers = !cl.peers.empty();
  }
  // With TLS the default name is the certificate's (cluster_setup.cpp).
  if (cl.node_name.empty() && !cl.tls()) cl.node_name = cl.listen;
  if (cl.enabled() && cl.node_name.empty() && !cl.tls())
    return fail("a node without --cluster-listen needs --node-name");
  return parse_outcome::run;
}

}  // namespace relay::app
