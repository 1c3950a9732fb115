// The connections' long timers (authentication and idle timeouts).
//
// Why not delayed_send(self, ...): CAF 0.17's clock keeps a strong reference
// to the receiver of every pending delayed message and cannot cancel one, so
// a connection that closes keeps its actor allocated (~1.5 KiB, plus the
// message) until its last timer fires: up to the idle timeout, 120 s. Under
// connection churn that is churn rate x 120 s x ~1.7 KiB of live heap (see
// docs/design-notes.md, "Timers and connection churn").
//
// This actor holds the deadlines instead. It monitors every actor it times
// and forgets all of that actor's deadlines the moment it terminates, so a
// closed connection is freed at once. The only delayed messages it arms are
// to itself (one actor, for the whole relay).
#pragma once

#include <caf/atom.hpp>
#include <caf/fwd.hpp>

namespace relay::detail {

/// (arm_timer_atom, caf::actor target, caf::timespan delay, caf::atom_value what):
/// after `delay`, send the single atom `what` to `target`, unless `target`
/// has terminated by then. Arming the same (target, what) again replaces the
/// earlier deadline.
using arm_timer_atom = caf::atom_constant<caf::atom("tmrarm")>;

caf::actor spawn_timer_actor(caf::actor_system& sys);

}  // namespace relay::detail
