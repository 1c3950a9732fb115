#include "io_clock.hpp"

#include <caf/abstract_actor.hpp>

namespace relay::net {

void io_clock::set_ordinary_timeout(time_point t, caf::abstract_actor* self, caf::atom_value type,
                                    std::uint64_t id) {
  remember(self);
  super::set_ordinary_timeout(t, self, type, id);
}

void io_clock::set_request_timeout(time_point t, caf::abstract_actor* self, caf::message_id id) {
  remember(self);
  super::set_request_timeout(t, self, id);
}

void io_clock::set_multi_timeout(time_point t, caf::abstract_actor* self, caf::atom_value type,
                                 std::uint64_t id) {
  remember(self);
  super::set_multi_timeout(t, self, type, id);
}

void io_clock::cancel_timeouts(caf::abstract_actor* self) {
  if (forget(self)) super::cancel_timeouts(self);
}

void io_clock::remember(caf::abstract_actor* self) {
  std::lock_guard<std::mutex> guard{mutex_};
  if (with_timeouts_.insert(self->id()).second) remembered_.fetch_add(1, std::memory_order_release);
}

bool io_clock::forget(caf::abstract_actor* self) {
  // An actor's own earlier remember() happened before its cleanup (CAF
  // hands a resumed actor from thread to thread with acquire/release), so
  // a zero here means this actor set no timeout.
  if (remembered_.load(std::memory_order_acquire) == 0) return false;
  std::lock_guard<std::mutex> guard{mutex_};
  if (with_timeouts_.erase(self->id()) == 0) return false;
  remembered_.fetch_sub(1, std::memory_order_release);
  return true;
}

}  // namespace relay::net
