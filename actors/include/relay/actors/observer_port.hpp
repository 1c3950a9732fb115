// Emits observer events with a bound on how many may wait in the observer's
// mailbox: every event carries a ticket whose release (when the observer is
// done with the message) gives the slot back.
#pragma once

#include <atomic>
#include <memory>

#include <caf/actor.hpp>

#include "relay/actors/extensions.hpp"

namespace relay {

class observer_port : public std::enable_shared_from_this<observer_port> {
 public:
  observer_port(caf::actor observer, std::size_t max_pending)
      : observer_(std::move(observer)), max_pending_(max_pending) {}

  /// Sends `e` unless too many events are pending; returns false if dropped.
  bool emit(observer_event e);

  std::uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }
  std::size_t pending() const noexcept { return pending_.load(std::memory_order_relaxed); }

 private:
  caf::actor observer_;
  std::size_t max_pending_;
  std::atomic<std::size_t> pending_{0};
  std::atomic<std::uint64_t> dropped_{0};
};

}  // namespace relay
