// Where a Send goes, readable from any thread: fingerprint -> the local
// transports (and service actors) authenticated as it, and whether other
// cluster nodes hold it too. The registry actor is the only writer (joins,
// leaves, peers' route announcements); connection actors and service
// gateways read it to deliver a Send themselves, one hop from the sender's
// actor to each destination's send queue, without a trip through the
// registry's mailbox. So routing runs on every I/O thread at once.
#pragma once

#include <array>
#include <memory>
#include <shared_mutex>
#include <unordered_map>
#include <vector>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "frame_formats.hpp"
#include "relay/actors/stats.hpp"
#include "relay/actors/transport.hpp"
#include "relay/protocol/crypto.hpp"

namespace relay::detail {

class route_table {
 public:
  struct endpoint {
    transport_ptr io;  // a client's socket queue; null for a service
    caf::actor actor;  // a service's gateway gets frames as messages
  };
  /// One fingerprint's routes. Never changed once published: the registry
  /// replaces the whole entry, so a reader keeps a consistent view for as
  /// long as it holds the pointer.
  struct routes {
    std::vector<endpoint> local;
    bool remote = false;  // some other node holds it: the registry forwards there
  };
  using routes_ptr = std::shared_ptr<const routes>;

  /// The routes of `fp`, or null when nobody anywhere holds it.
  routes_ptr find(const protocol::fingerprint& fp) const;
  /// Registry only: publishes `fp`'s routes (null or empty removes them).
  void publish(const protocol::fingerprint& fp, routes_ptr r);
  /// Registry only, when it terminates: no registry, no routes (and no
  /// references to members' actors that would keep them alive).
  void clear();

 private:
  // Striped locks: readers of different stripes never touch the same
  // cache line, and a join or leave blocks only its own stripe.
  static constexpr std::size_t stripe_count = 64;
  struct alignas(64) stripe {
    mutable std::shared_mutex mutex;
    std::unordered_map<protocol::fingerprint, routes_ptr, protocol::fingerprint_hash> entries;
  };
  stripe& stripe_of(const protocol::fingerprint& fp) const;
  mutable std::array<stripe, stripe_count> stripes_;
};

/// Hands `frames` to every local endpoint of `r`, each in its own format
/// (services get JSON), on the caller's thread. Counts the deliveries.
void deliver_locally(const route_table::routes& r, frame_formats& frames, relay_stats& stats);

/// The one hop of a Send, taken by the sender's own actor (a connection or
/// a service gateway) on its thread: `frame`, in `format`, goes to every
/// local device's send queue, and to the registry only when other nodes
/// hold `to` (the registry owns the links to them). `decoded`, if given,
/// spares a decode when a recipient needs the other format. A destination
/// nobody holds counts as dropped (no route).
void route_frame(caf::event_based_actor* self, const route_table& table, const caf::actor& registry,
                 relay_stats& stats, const protocol::fingerprint& to, shared_frame frame, wire_format format,
                 const protocol::message* decoded = nullptr);

}  // namespace relay::detail
