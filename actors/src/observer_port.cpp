#include "relay/actors/observer_port.hpp"

#include <caf/all.hpp>

namespace relay {

bool observer_port::emit(observer_event e) {
  if (pending_.fetch_add(1, std::memory_order_relaxed) >= max_pending_) {
    pending_.fetch_sub(1, std::memory_order_relaxed);
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  // The ticket holds the port alive and returns the slot when the observer
  // has processed (and CAF destroyed) the message.
  e.ticket = std::shared_ptr<void>(nullptr, [self = shared_from_this()](void*) {
    self->pending_.fetch_sub(1, std::memory_order_relaxed);
  });
  caf::anon_send(observer_, std::move(e));
  return true;
}

const char* to_string(observer_event::kind k) noexcept {
  switch (k) {
    case observer_event::kind::connected: return "connected";
    case observer_event::kind::authenticated: return "authenticated";
    case observer_event::kind::refused: return "refused";
    case observer_event::kind::routed: return "routed";
    case observer_event::kind::disconnected: return "disconnected";
  }
  return "?";
}

}  // namespace relay
