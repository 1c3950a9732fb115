// CAF's thread-safe actor clock, minus a wake-up per actor.
//
// Every actor's cleanup calls clock().cancel_timeouts(self). CAF's
// thread_safe_actor_clock turns that into an event queued for its clock
// thread and a notify, so each actor that ends wakes the clock thread (a
// context switch per connection closed), although most actors never set a
// timeout: connection actors keep their deadlines in the relay's timer
// actor, and only requests with a timeout (admission, cluster claims) and
// receive timeouts use CAF's. This clock remembers which actors set a
// cancellable timeout and forwards only their cancellations; delayed
// messages (delayed_send) are not cancellable by actor and are unaffected.
#pragma once

#include <atomic>
#include <mutex>
#include <unordered_set>

#include <caf/detail/thread_safe_actor_clock.hpp>

namespace relay::net {

class io_clock final : public caf::detail::thread_safe_actor_clock {
 public:
  using super = caf::detail::thread_safe_actor_clock;

  void set_ordinary_timeout(time_point t, caf::abstract_actor* self, caf::atom_value type,
                            std::uint64_t id) override;
  void set_request_timeout(time_point t, caf::abstract_actor* self, caf::message_id id) override;
  void set_multi_timeout(time_point t, caf::abstract_actor* self, caf::atom_value type,
                         std::uint64_t id) override;
  void cancel_timeouts(caf::abstract_actor* self) override;

 private:
  void remember(caf::abstract_actor* self);
  bool forget(caf::abstract_actor* self);  // true if self had set any

  // An actor sets its timeouts and is cleaned up on whatever thread runs
  // it; the set is shared by all threads. `remembered_` lets the common
  // case (no actor with a timeout alive) skip the lock.
  std::mutex mutex_;
  std::unordered_set<caf::actor_id> with_timeouts_;
  std::atomic<std::size_t> remembered_{0};
};

}  // namespace relay::net
