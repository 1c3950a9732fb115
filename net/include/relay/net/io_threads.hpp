// Actors on the I/O threads: an actor system whose scheduled actors run on
// the same threads, and the same event loops, that read and write the
// relay's sockets. A frame read on a loop is then handled by its connection
// actor and queued for its destination on that thread, without waking
// another one.
#pragma once

#include <caf/fwd.hpp>

namespace relay::net {

/// Makes the actor system built from `cfg` run its scheduled actors on
/// `threads` I/O threads instead of CAF's worker pool: half of them
/// (rounded up) are event loops, each serving its share of a server's
/// connections and the actors their frames wake; the others sleep until a
/// loop falls behind and then share its work.
/// A relay::net::server on that system then serves its sockets on the same
/// threads (its io_threads option is ignored). Call before constructing the
/// actor_system. Actors spawned with caf::detached keep their own thread:
/// use that for an actor that blocks or computes for long, since every
/// other actor of the system shares the threads with the sockets.
void run_actors_on_io_threads(caf::actor_system_config& cfg, unsigned threads);

}  // namespace relay::net
