// Actors on the I/O threads: an actor system whose scheduled actors run on
// the same threads, and the same event loop, that read and write the
// relay's sockets. A frame read on a thread is then handled by its
// connection actor, routed by the registry and queued for the destination
// session on that thread, without waking another one.
#pragma once

#include <caf/fwd.hpp>

namespace relay::net {

/// Makes the actor system built from `cfg` run its scheduled actors on
/// `threads` I/O threads (one Asio event loop) instead of CAF's worker pool.
/// A relay::net::server on that system then serves its sockets on the same
/// threads (its io_threads option is ignored). Call before constructing the
/// actor_system. Actors spawned with caf::detached keep their own thread:
/// use that for an actor that blocks or computes for long, since every
/// other actor of the system shares the threads with the sockets.
void run_actors_on_io_threads(caf::actor_system_config& cfg, unsigned threads);

}  // namespace relay::net
