// The cluster gate: the only thing a cluster port exposes. CAF's middleman
// listens on a loopback port nobody else is told about; the gate accepts
// on --cluster-listen, authenticates each connection itself (mutual TLS
// against the cluster CA, and/or a shared-secret challenge, and the cluster
// protocol version) and only then splices the byte stream to the
// middleman. Outbound, the middleman dials a loopback forwarder per remote
// node, which authenticates to the remote gate the same way. A connection
// that fails costs the gate one refused handshake and never reaches the
// middleman, so nothing a non-member sends can disturb an established link.
// See docs/clustering.md ("Cluster port security") and docs/design-notes.md.
//
// Threads: the gate runs its own network thread; its public methods may be
// called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "relay/actors/stats.hpp"

namespace relay::net {

struct cluster_gate_options {
  std::string host = "127.0.0.1";  ///< --cluster-listen host
  std::uint16_t port = 0;          ///< --cluster-listen port (0 picks one)
  std::string cert, key, ca;       ///< mutual TLS when cert is set
  std::string secret;              ///< --cluster-psk-file contents ("" = none)
  double attempts_per_ip = 20;     ///< --cluster-attempts-per-ip (per second, burst 2x)
  std::size_t pending_per_ip = 8;  ///< --cluster-pending-per-ip: unauthenticated at once
  std::size_t pending_total = 256; ///< unauthenticated connections at once, all addresses
  std::chrono::milliseconds handshake_timeout{5000};  ///< --cluster-handshake-timeout
};

/// The names (CN and DNS SANs) a PEM certificate file vouches for.
std::vector<std::string> cluster_certificate_names(const std::string& pem_file);

class cluster_gate {
 public:
  /// Builds the TLS context (throws std::runtime_error naming a bad file).
  cluster_gate(cluster_gate_options opts, std::shared_ptr<relay_stats> stats);
  ~cluster_gate();  ///< stops
  cluster_gate(const cluster_gate&) = delete;
  cluster_gate& operator=(const cluster_gate&) = delete;

  /// Binds the public cluster port (throws std::system_error); returns it.
  std::uint16_t bind();
  /// Starts accepting and the network thread, greeting as `node_name`;
  /// authenticated inbound links go to the middleman at loopback
  /// `middleman_port` (0: this node accepts none).
  void start(const std::string& node_name, std::uint16_t middleman_port);
  void stop();

  /// The loopback port the middleman dials to reach the node at
  /// host:port (a forwarder, opened on first use). Nothing if it cannot be
  /// opened.
  std::optional<std::uint16_t> forwarder_for(const std::string& host, std::uint16_t port);

  /// The authenticated name of the node behind a loopback connection of the
  /// middleman, given that connection's remote port as the middleman
  /// reports it: an inbound link's splice socket, or a forwarder's port.
  std::optional<std::string> peer_name_at(std::uint16_t loopback_port) const;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace relay::net
