// Relay-wide counters: relaxed atomics, bumped where things happen and read
// by logs, tests and (later) the metrics endpoint.
#pragma once

#include <atomic>
#include <cstdint>

namespace relay {

struct relay_stats {
  using counter = std::atomic<std::uint64_t>;
  counter connections_opened{0};
  counter connections_closed{0};
  counter auth_ok{0};
  counter auth_failed{0};
  counter auth_timeouts{0};
  counter frames_ignored{0};       ///< after auth: malformed JSON, server-only or binary frames
  counter messages_routed{0};      ///< Send frames accepted for delivery
  counter deliveries{0};           ///< frames handed to recipient connections
  counter dropped_no_route{0};     ///< Send to a fingerprint nobody holds
  counter codes_issued{0};
  counter codes_claimed{0};
  counter codes_expired{0};
  counter codes_refused{0};        ///< relay-wide code cap reached
  counter slow_consumer_closes{0};
  counter oversize_closes{0};
  counter joins_refused{0};        ///< per-identity connection cap reached
  counter cluster_forwarded{0};    ///< frames sent to other nodes (once per node)
  counter cluster_received{0};     ///< frames received from other nodes
  counter cluster_dropped{0};      ///< frames not sent: peer backlog full
  counter cluster_peers{0};        ///< peers currently joined (a gauge)
};

}  // namespace relay
