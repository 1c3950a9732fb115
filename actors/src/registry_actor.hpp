// The registry: fingerprint -> the connection actors authenticated as it,
// published in `routes` for every sender to read; in a cluster, also the
// links to the other nodes' registries.
//
// One actor, two halves, each in its own file:
//   - local membership (registry_actor.cpp): who is connected to this node,
//     join, leave (down messages), presence, and publishing routes;
//   - cluster links (cluster_links.cpp): peers, their credit and acks, the
//     routes other nodes announced, forwarding to and delivering from them.
// They share one mailbox on purpose: a route is published before the join
// that made it is answered, and the cluster half's events are ordered with
// the local ones (see cluster_links.hpp).
#pragma once

#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>
#include <caf/fwd.hpp>

#include "cluster_links.hpp"
#include "relay/actors/messages.hpp"
#include "relay/actors/relay_core.hpp"
#include "route_table.hpp"

namespace relay::detail {

// The local half's state: the members connected to this node.
class local_members {
 public:
  struct connection {
    caf::actor actor;
    transport_ptr io;         // null for services: they get frames through their actor
    identity_bytes identity;  // what a claim of this member's codes returns
  };

  enum class join_result { refused, first, another };
  /// Adds `conn` as a connection of `fp` unless fp already has `cap`.
  /// `first`: fp had no connection here before.
  join_result join(const protocol::fingerprint& fp, identity_bytes identity, const caf::actor& conn,
                   transport_ptr io, std::size_t cap);

  struct left {
    protocol::fingerprint fp;
    bool last;  // fp has no connection here any more
  };
  /// Removes the member connection whose actor was `who`; nullopt if it
  /// was none.
  std::optional<left> leave(const caf::actor_addr& who);

  /// One live connection of `fp` (the oldest), or null.
  const connection* any_connection(const protocol::fingerprint& fp) const;
  /// The fingerprint a member connection's actor joined as.
  std::optional<protocol::fingerprint> fingerprint_of(const caf::actor_addr& who) const;
  /// Every fingerprint with a connection here (for a peer's snapshot).
  std::vector<protocol::fingerprint> held() const;
  /// fp's local endpoints, as the route table lists them.
  std::vector<route_table::endpoint> endpoints(const protocol::fingerprint& fp) const;

 private:
  struct member {
    std::vector<connection> connections;
  };
  std::unordered_map<protocol::fingerprint, member, protocol::fingerprint_hash> members_;
  std::unordered_map<caf::actor_addr, protocol::fingerprint> fingerprint_of_;
};

struct registry_state {
  // Who is connected here; changed by join and down messages only
  // (registry_actor.cpp).
  local_members local;
  // Peers, their credit and acks, and the routes they announced; changed by
  // the cluster messages only (cluster_links.cpp).
  cluster_links cluster;
  // The read side of both halves, for senders on every thread; written
  // only by publish.
  std::shared_ptr<route_table> routes;
  static inline const char* name = "relay.registry";

  ~registry_state() {
    if (routes) routes->clear();
  }

  /// Publishes fp's routes as both halves hold them now; called after every
  /// change of either, before anything else is handled.
  void publish(const protocol::fingerprint& fp);
};

caf::actor spawn_registry(caf::actor_system& sys, std::shared_ptr<const relay_config> cfg,
                          std::shared_ptr<relay_stats> stats, std::shared_ptr<route_table> routes);

}  // namespace relay::detail
