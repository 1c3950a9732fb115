// The registry's cluster half: its links to the other nodes' registries.
// Which nodes hold which fingerprints (learned from their registries: a
// snapshot when a peer joins, then up/down events), the credit each peer
// has left for frames we forward to it, and the bytes it sent us that we
// have not acknowledged yet. All empty on a single node.
//
// It lives inside the registry actor (registry_state::cluster), not in an
// actor of its own: one mailbox keeps every ordering the cluster relies on.
// A peer_up re-sends the snapshot and resets credit before anything after
// it is handled, a member's fp_up is sent in the same turn as its join is
// answered, and the route table's remote flag is republished in the turn
// that changed it, together with the local routes the other half owns.
//
// Frames from other nodes are only delivered locally, never forwarded
// again, so routes cannot loop.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <caf/actor.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/fwd.hpp>
#include <caf/message_handler.hpp>

#include "peer_credit.hpp"
#include "relay/actors/config.hpp"
#include "relay/actors/frame.hpp"
#include "relay/actors/stats.hpp"
#include "relay/protocol/crypto.hpp"

namespace relay::detail {

struct registry_state;

using fingerprint_set = std::unordered_set<protocol::fingerprint, protocol::fingerprint_hash>;

class cluster_links {
 public:
  /// A receiving registry acknowledges this many bytes at a time, which
  /// returns the sender's credit for that peer.
  static constexpr std::uint64_t ack_every_bytes = 256 * 1024;

  struct peer {
    caf::actor registry;
    peer_credit credit;            // bytes we sent it, not yet acknowledged, by sender
    std::uint64_t unacked_in = 0;  // bytes it sent us, not yet acknowledged
  };

  /// This node's name in every message to a peer ("" until cluster_init).
  std::string node_name;

  // --- peers ---

  /// A peer (re)joined: its link starts afresh (full credit, nothing owed).
  void peer_up(const std::string& node, caf::actor registry, std::uint64_t backlog_cap);
  /// A peer is gone: forgets it and every route it announced. Returns the
  /// fingerprints no node holds any more (their routes need republishing).
  std::vector<protocol::fingerprint> peer_down(const std::string& node);
  std::size_t peer_count() const { return peers_.size(); }
  /// Counts `bytes` received from `node`; returns the bytes to acknowledge
  /// now (0: not yet, or an unknown peer) and that peer's registry.
  std::uint64_t received(const std::string& node, std::uint64_t bytes, caf::actor& ack_to);
  /// `node` acknowledged `bytes` of what we sent it.
  void acknowledged(const std::string& node, std::uint64_t bytes);

  // --- remote routes ---

  bool held_remotely(const protocol::fingerprint& fp) const { return remote_.count(fp) > 0; }
  /// Each returns whether fp's "held by another node" changed, i.e. whether
  /// its route needs republishing.
  bool add_remote(const std::string& node, const protocol::fingerprint& fp);
  bool forget_remote(const std::string& node, const protocol::fingerprint& fp);
  /// Forgets every route of `node` except those in `keep`; returns the
  /// fingerprints no node holds any more.
  std::vector<protocol::fingerprint> forget_node(const std::string& node, const fingerprint_set& keep = {});

  // --- sending to peers ---

  /// Tells every peer that this node now holds `fp` (its first local
  /// connection joined), or no longer holds it (its last one left).
  void announce_up(caf::event_based_actor* self, const protocol::fingerprint& fp) const;
  void announce_down(caf::event_based_actor* self, const protocol::fingerprint& fp) const;

  /// Sends `frame` (binary codec) from `source` for `destination` to every
  /// other node that holds it, within each peer's credit.
  void forward(caf::event_based_actor* self, const protocol::fingerprint& source,
               const protocol::fingerprint& destination, const shared_frame& frame, relay_stats& stats);

 private:
  // Sends (atom, this node, fp) to every peer's registry.
  template <class Atom>
  void announce(caf::event_based_actor* self, Atom atom, const protocol::fingerprint& fp) const;

  std::unordered_map<std::string, peer> peers_;
  // fingerprint -> the other nodes that hold it (never an empty list).
  std::unordered_map<protocol::fingerprint, std::vector<std::string>, protocol::fingerprint_hash> remote_;
};

/// The registry's cluster handlers (forward, cinit, peerup, peerdown,
/// fpsnap, fpup, fpdown, cdeliver, rpresence, cack), composed into its
/// behaviour after the local ones (registry_actor.cpp).
caf::message_handler cluster_link_handlers(caf::stateful_actor<registry_state>* self,
                                           std::shared_ptr<const relay_config> cfg,
                                           std::shared_ptr<relay_stats> stats);

}  // namespace relay::detail
