// Command-line options of the `relay` server (see --help and DESIGN.md).
#pragma once

#include <string>
#include <vector>

#include "relay/actors/config.hpp"
#include "relay/log.hpp"
#include "relay/net/server.hpp"

namespace relay::app {

struct cluster_flags {
  std::string listen;              ///< --cluster-listen HOST:PORT ("" = do not publish)
  std::vector<std::string> peers;  ///< --peer HOST:PORT (repeatable)
  std::string node_name;           ///< --node-name (default: the cluster listen address)
  std::chrono::milliseconds timeout{5000};  ///< --cluster-timeout: peer loss detection bound
  std::string cert, key, ca;       ///< --cluster-cert/--cluster-key/--cluster-ca (mutual TLS)
  std::string psk_file;            ///< --cluster-psk-file: shared secret every node proves
  double attempts_per_ip = 20;     ///< --cluster-attempts-per-ip (per second, burst 2x)
  std::size_t pending_per_ip = 8;  ///< --cluster-pending-per-ip
  std::chrono::milliseconds handshake_timeout{5000};  ///< --cluster-handshake-timeout

  bool enabled() const { return !listen.empty() || !peers.empty(); }
  bool tls() const { return !cert.empty(); }
};

struct relay_options {
  relay_config core;
  cluster_flags cluster;
  net::server_options server;
  /// --workers N: run actors on a separate CAF worker pool of N threads
  /// (0, the default: actors run on the --io-threads event loop threads).
  unsigned workers = 0;
  log::level log_level = log::level::info;
  log::format log_format = log::format::text;  // --log-format
  // --admin-listen / --admin-allow-remote land in server.admin
};

enum class parse_outcome { run, exit_ok, exit_usage };

/// Parses argv (and $BIND_ADDR). On exit_usage a one-line error was printed.
parse_outcome parse_options(int argc, char** argv, relay_options& out);

}  // namespace relay::app
