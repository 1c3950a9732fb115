// Name binding for the cluster actor: a `hello` (or its answer) claims a
// node name; the cluster gate knows which name it authenticated for each
// middleman connection (by certificate, or by the cluster secret). This
// asks the middleman which connection carries the claiming node and
// compares. A member cannot take another member's name.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include <caf/all.hpp>
#include <caf/io/middleman_actor.hpp>

#include "relay/actors/cluster.hpp"
#include "relay/log.hpp"

namespace relay {

/// Calls `done(std::nullopt)` when `node` may use `claimed`, else
/// `done(reason)`. Without a gate (no opts.authenticated_name) every
/// claim is accepted at once.
template <class Self, class Done>
void check_peer_name(Self* self, const caf::io::middleman_actor& mm, const cluster_options& opts,
                     const caf::node_id& node, const std::string& claimed, Done done) {
  if (!opts.authenticated_name) {
    done(std::optional<std::string>{});
    return;
  }
  auto lookup = opts.authenticated_name;
  RELAY_LOG(debug, "cluster: checking name " << claimed << " of node " << to_string(node));
  self->request(mm, std::chrono::seconds(5), caf::get_atom::value, node)
    .then(
      [=](const caf::node_id&, const std::string& host, std::uint16_t port) mutable {
        auto name = lookup(port);
        RELAY_LOG(debug, "cluster: node " << claimed << " is at " << host << ":" << port << ", authenticated as "
                                          << (name ? *name : std::string("nobody")));
        if (!name)
          done(std::optional<std::string>{"it reached this node without an authenticated link"});
        else if (*name != claimed)
          done(std::optional<std::string>{"it claims name '" + claimed + "' but authenticated as '" + *name + "'"});
        else
          done(std::optional<std::string>{});
      },
      [=](const caf::error& err) mutable {
        done(std::optional<std::string>{"its link is unknown to the middleman (" + to_string(err) + ")"});
      });
}

}  // namespace relay
