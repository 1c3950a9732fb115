#include "timer_actor.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <unordered_set>
#include <utility>

#include <caf/all.hpp>

namespace relay::detail {

namespace {

using clock = std::chrono::steady_clock;
using wake_atom = caf::atom_constant<caf::atom("tmrwake")>;

// Deadlines closer together than this share one wake-up (so a burst of
// connections, each with its own auth deadline, does not become a burst of
// wake-ups). A timer fires at most this much late, never early.
constexpr auto default_resolution = std::chrono::milliseconds(20);

struct timer_state {
  struct entry {
    caf::actor_addr target;  // weak; erased when the target goes down
    caf::atom_value what;
  };
  using schedule_t = std::multimap<clock::time_point, entry>;
  using key = std::pair<caf::actor_id, caf::atom_value>;

  schedule_t schedule;                             // by deadline
  std::map<key, schedule_t::iterator> by_target;   // ordered: one range per actor
  std::unordered_set<caf::actor_id> monitored;
  clock::time_point next_wake = clock::time_point::max();
  clock::duration resolution = default_resolution;
  static inline const char* name = "relay.timers";

  void forget(caf::actor_id id) {
    auto first = by_target.lower_bound(key{id, caf::atom_value{0}});
    auto last = first;
    while (last != by_target.end() && last->first.first == id) schedule.erase((last++)->second);
    by_target.erase(first, last);
    monitored.erase(id);
  }
};

using self_ptr = caf::stateful_actor<timer_state>*;

// Makes sure a wake-up is pending no later than the earliest deadline.
void arm_wake(self_ptr self) {
  auto& st = self->state;
  if (st.schedule.empty()) return;
  auto now = clock::now();
  auto at = std::max(st.schedule.begin()->first, now);
  if (at >= st.next_wake) return;
  // Coalesce: wake no earlier than one resolution step from now.
  at = std::max(at, now + st.resolution);
  st.next_wake = at;
  self->delayed_send(self, at - now, wake_atom::value, static_cast<std::int64_t>(at.time_since_epoch().count()));
}

// `resolution` is also what keeps this spawn from having no arguments:
// CAF 0.17's argument-less spawn of a function actor dereferences a null
// tuple pointer (UBSan: reference binding to null pointer, init_fun_factory).
caf::behavior timer_actor(self_ptr self, caf::timespan resolution) {
  self->state.resolution = std::chrono::duration_cast<clock::duration>(resolution);
  self->set_down_handler([=](caf::down_msg& down) { self->state.forget(down.source.id()); });
  return {
    [=](arm_timer_atom, const caf::actor& target, caf::timespan delay, caf::atom_value what) {
      if (!target) return;
      auto& st = self->state;
      auto due = clock::now() + std::chrono::duration_cast<clock::duration>(delay);
      timer_state::key k{target.id(), what};
      auto old = st.by_target.find(k);
      if (old != st.by_target.end()) {
        st.schedule.erase(old->second);
        old->second = st.schedule.emplace(due, timer_state::entry{target.address(), what});
      } else {
        st.by_target.emplace(k, st.schedule.emplace(due, timer_state::entry{target.address(), what}));
      }
      // Monitoring a target that has already terminated delivers its down
      // message at once, which forgets what was just armed.
      if (st.monitored.insert(target.id()).second) self->monitor(target);
      arm_wake(self);
    },
    [=](wake_atom, std::int64_t at) {
      auto& st = self->state;
      if (clock::time_point{clock::duration{at}} == st.next_wake) st.next_wake = clock::time_point::max();
      auto now = clock::now();
      while (!st.schedule.empty() && st.schedule.begin()->first <= now) {
        auto it = st.schedule.begin();
        auto e = std::move(it->second);
        st.by_target.erase(timer_state::key{e.target.id(), e.what});
        st.schedule.erase(it);
        if (auto target = caf::actor_cast<caf::actor>(e.target)) self->send(target, e.what);
      }
      arm_wake(self);
    },
  };
}

}  // namespace

caf::actor spawn_timer_actor(caf::actor_system& sys) {
  return sys.spawn(timer_actor, caf::timespan{default_resolution});
}

}  // namespace relay::detail
