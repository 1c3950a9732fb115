#include "route_table.hpp"

#include <mutex>
#include <utility>

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include "relay/actors/messages.hpp"

namespace relay::detail {

route_table::stripe& route_table::stripe_of(const protocol::fingerprint& fp) const {
  // The fingerprint is a SHA-256: its bytes are already uniform.
  return stripes_[fp[0] % stripe_count];
}

route_table::routes_ptr route_table::find(const protocol::fingerprint& fp) const {
  auto& s = stripe_of(fp);
  std::shared_lock lock{s.mutex};
  auto it = s.entries.find(fp);
  return it == s.entries.end() ? nullptr : it->second;
}

void route_table::publish(const protocol::fingerprint& fp, routes_ptr r) {
  auto& s = stripe_of(fp);
  routes_ptr old;  // released outside the lock
  std::unique_lock lock{s.mutex};
  if (!r || (r->local.empty() && !r->remote)) {
    if (auto it = s.entries.find(fp); it != s.entries.end()) {
      old = std::move(it->second);
      s.entries.erase(it);
    }
    return;
  }
  auto& slot = s.entries[fp];
  old = std::exchange(slot, std::move(r));
}

void route_table::clear() {
  for (auto& s : stripes_) {
    decltype(s.entries) old;  // released outside the lock
    std::unique_lock lock{s.mutex};
    old.swap(s.entries);
  }
}

void deliver_locally(const route_table::routes& r, frame_formats& frames, relay_stats& stats) {
  for (const auto& ep : r.local) {
    const auto& frame = frames.in(ep.io ? ep.io->format() : wire_format::json);
    if (!frame) continue;  // an undecodable frame from a peer node: only its own format goes out
    if (ep.io)
      ep.io->send(frame);
    else
      caf::anon_send(ep.actor, deliver_atom::value, frame);
  }
  stats.deliveries.fetch_add(r.local.size(), std::memory_order_relaxed);
}

void route_frame(caf::event_based_actor* self, const route_table& table, const caf::actor& registry,
                 relay_stats& stats, const protocol::fingerprint& to, shared_frame frame, wire_format format,
                 const protocol::message* decoded) {
  auto r = table.find(to);
  if (!r) {
    stats.dropped_no_route.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  frame_formats frames{std::move(frame), format, stats, decoded};
  deliver_locally(*r, frames, stats);
  if (!r->remote) return;
  // Between nodes every frame travels in the binary codec, transcoded here
  // at most once for local devices and peers together.
  if (const auto& binary = frames.in(wire_format::binary)) self->send(registry, forward_atom::value, to, binary);
}

}  // namespace relay::detail
