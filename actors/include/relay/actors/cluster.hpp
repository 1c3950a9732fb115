// Clustering relay nodes over CAF's middleman (BASP), behind the cluster
// gate (relay/net/cluster_gate.hpp: mutual TLS and/or a shared secret,
// outside CAF). Each node runs one cluster actor: it dials its
// peers, exchanges membership, watches peers through monitors, and tells
// the local registry which peers exist; registries then exchange which
// fingerprints they hold and forward frames to the nodes holding a
// destination. See docs/design-notes.md ("Cluster").
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <caf/fwd.hpp>
#include <caf/io/middleman_actor.hpp>

#include "relay/actors/relay_core.hpp"

namespace relay {

struct cluster_options {
  /// This node's name in logs and membership (unique in the cluster).
  std::string node_name;
  /// host:port where peers reach this node's cluster actor ("" if none).
  std::string advertise_address;
  /// host:port of nodes to join; more are learned from them.
  std::vector<std::string> peers;
  /// How often unreachable known nodes are dialled again.
  std::chrono::milliseconds reconnect_interval{1000};
  /// Time a claim waits for the other nodes' answers.
  std::chrono::milliseconds claim_timeout{2000};
  /// Where the middleman dials to reach the node at host:port (the cluster
  /// gate's local forwarder); unset: dial host:port itself.
  std::function<std::optional<std::pair<std::string, std::uint16_t>>(const std::string&, std::uint16_t)> route;
  /// The node name the cluster gate authenticated behind a middleman
  /// connection, by that connection's remote port; unset: names in `hello`
  /// are taken as given.
  std::function<std::optional<std::string>(std::uint16_t)> authenticated_name;
};

/// Announces the types that cross the middleman. Call on the config before
/// the actor_system is constructed, on every node.
void add_cluster_message_types(caf::actor_system_config& cfg);

/// Spawns this node's cluster actor and attaches it to `core` (sets
/// core.cluster); `mm` is the middleman actor used to dial peers (through
/// opts.route) and to find which link a hello came over. Publish the returned actor on the cluster port, then call
/// start_cluster_node.
caf::actor spawn_cluster_node(caf::actor_system& sys, relay_core& core, cluster_options opts,
                              caf::io::middleman_actor mm);

/// Starts membership once name and address are final (with port 0, the
/// address is known only after publishing): overrides opts.node_name and
/// opts.advertise_address, then joins the peers.
void start_cluster_node(const caf::actor& node, std::string node_name, std::string advertise_address);

}  // namespace relay
