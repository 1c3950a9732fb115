// Relay-wide counters: relaxed atomics, bumped where things happen and read
// by logs, tests and the metrics endpoint (relay/net/admin.hpp).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace relay {

/// Why an authentication was refused (labels of relay_auth_failures_total).
/// The first five mirror protocol::auth_failure (same order, minus `none`).
enum class auth_refusal : std::uint8_t {
  cbor, alg, payload, identity, signature,  // the signature check
  malformed,                                // binary, unparsable or not an AuthResponse
  timeout,                                  // no answer within --auth-timeout
  policy,                                   // admission policy refused or unavailable
  too_many,                                 // per-identity connection cap
};
inline constexpr std::size_t auth_refusal_count = 9;

inline const char* to_string(auth_refusal r) noexcept {
  constexpr const char* names[auth_refusal_count] = {"cbor",    "alg",       "payload", "identity", "signature",
                                                     "malformed", "timeout", "policy",  "too_many"};
  auto i = static_cast<std::size_t>(r);
  return i < auth_refusal_count ? names[i] : "unknown";
}

/// Why the cluster gate refused a connection to the cluster port (labels of
/// relay_cluster_refused_total; see relay/net/cluster_gate.hpp).
enum class cluster_refusal : std::uint8_t {
  rate_limited,  // the address opened too many connections per second
  pending,       // the address (or everyone) has too many unauthenticated connections
  tls,           // the TLS handshake failed: foreign CA, no certificate, not TLS at all
  handshake,     // not a cluster hello: garbage, wrong verb, too long
  version,       // another cluster protocol version
  name,          // the claimed name is not in the certificate, or is this node's
  secret,        // wrong or missing shared-secret proof
  timeout,       // no complete handshake within --cluster-handshake-timeout
};
inline constexpr std::size_t cluster_refusal_count = 8;

inline const char* to_string(cluster_refusal r) noexcept {
  constexpr const char* names[cluster_refusal_count] = {"rate_limited", "pending", "tls",    "handshake",
                                                        "version",      "name",    "secret", "timeout"};
  auto i = static_cast<std::size_t>(r);
  return i < cluster_refusal_count ? names[i] : "unknown";
}

/// A counter that every Send bumps, from every I/O thread at once: one cache
/// line per thread slot, so the threads never fight over it; reading sums
/// the slots. Same calls as the atomic counters for what the relay needs.
class hot_counter {
 public:
  void fetch_add(std::uint64_t n, std::memory_order order = std::memory_order_relaxed) noexcept {
    slots_[this_thread_slot()].value.fetch_add(n, order);
  }
  std::uint64_t load(std::memory_order order = std::memory_order_relaxed) const noexcept {
    std::uint64_t sum = 0;
    for (const auto& s : slots_) sum += s.value.load(order);
    return sum;
  }

 private:
  static constexpr std::size_t slot_count = 16;
  // Threads take slots in turn; more threads than slots share them (still
  // correct, only slower).
  static std::size_t this_thread_slot() noexcept {
    static std::atomic<std::size_t> next{0};
    thread_local const std::size_t mine = next.fetch_add(1, std::memory_order_relaxed) % slot_count;
    return mine;
  }
  struct alignas(64) slot {
    std::atomic<std::uint64_t> value{0};
  };
  std::array<slot, slot_count> slots_{};
};

struct relay_stats {
  using counter = std::atomic<std::uint64_t>;
  counter connections_opened{0};
  counter connections_closed{0};
  counter auth_ok{0};
  counter auth_failed{0};
  counter auth_timeouts{0};
  counter frames_ignored{0};       ///< after auth: malformed, server-only, or the wrong frame kind
  counter binary_connections{0};   ///< upgrades that chose the binary dialect
  hot_counter frames_transcoded;    ///< frames re-encoded for recipients of the other wire format
  hot_counter messages_routed;      ///< Send frames accepted for delivery
  hot_counter deliveries;           ///< frames handed to recipient connections
  counter dropped_no_route{0};     ///< Send to a fingerprint nobody holds
  counter codes_issued{0};
  counter codes_claimed{0};
  counter codes_expired{0};
  counter codes_refused{0};        ///< relay-wide code cap reached
  counter slow_consumer_closes{0};
  counter oversize_closes{0};
  counter joins_refused{0};        ///< per-identity connection cap reached
  counter connections_rate_limited{0};  ///< refused: too many new connections from the IP
  counter connections_auth_blocked{0};  ///< refused: too many failed authentications from the IP
  counter claims_rate_limited{0};       ///< GetIdentity ignored: claim budget used up
  counter codes_rate_limited{0};        ///< GetRendezvous ignored: code-issue budget used up
  counter claims_owner_absent{0};       ///< code spent, no answer: its owner was connected nowhere
  counter frames_throttled{0};          ///< frames whose credit was held back (message/byte rate)
  counter cluster_forwarded{0};    ///< frames sent to other nodes (once per node)
  counter cluster_received{0};     ///< frames received from other nodes
  counter cluster_dropped{0};      ///< frames not sent: peer backlog full
  counter cluster_peers{0};        ///< peers currently joined (a gauge)
  std::array<counter, cluster_refusal_count> cluster_refusals{};  ///< by cluster_refusal (gate, inbound)
  counter cluster_links_accepted{0};  ///< inbound cluster connections authenticated by the gate
  counter cluster_links_dialled{0};   ///< outbound cluster connections authenticated to a peer's gate
  counter cluster_dials_failed{0};    ///< outbound attempts refused by, or failing at, a peer's gate
  counter cluster_gate_links{0};      ///< gauge: authenticated links the gate is splicing now
  // Metrics endpoint (admin.hpp). Gauges go up and down.
  std::array<counter, auth_refusal_count> auth_refusals{};  ///< by auth_refusal
  hot_counter bytes_routed;                ///< payload bytes of Send frames accepted for delivery
  counter connections_pending_auth{0};     ///< gauge: upgraded, not yet authenticated
  counter connections_authenticated{0};    ///< gauge: authenticated and joined
  counter outbound_queued_bytes{0};        ///< gauge: bytes queued for clients, all sessions
  counter live_codes{0};                   ///< gauge: rendezvous codes alive on this node
};

/// The phase gauges of one connection: enter() moves it between
/// pending_auth and authenticated; the destructor (the actor's end, however
/// it ends) takes it out.
class connection_phase {
 public:
  enum phase : std::uint8_t { none, pending_auth, authenticated };
  connection_phase() = default;
  connection_phase(const connection_phase&) = delete;
  connection_phase& operator=(const connection_phase&) = delete;
  ~connection_phase() { enter(none); }

  void attach(std::shared_ptr<relay_stats> stats) { stats_ = std::move(stats); }
  void enter(phase next) noexcept {
    if (!stats_ || next == now_) return;
    if (auto* g = gauge(now_)) g->fetch_sub(1, std::memory_order_relaxed);
    if (auto* g = gauge(next)) g->fetch_add(1, std::memory_order_relaxed);
    now_ = next;
  }

 private:
  relay_stats::counter* gauge(phase p) noexcept {
    if (p == pending_auth) return &stats_->connections_pending_auth;
    if (p == authenticated) return &stats_->connections_authenticated;
    return nullptr;
  }
  std::shared_ptr<relay_stats> stats_;
  phase now_ = none;
};

}  // namespace relay
