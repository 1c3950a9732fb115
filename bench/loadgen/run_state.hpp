// State shared between the coordinating thread and the io threads: phase
// flags and the measurement window (atomics), and per-thread counters that
// only their io thread writes.
#pragma once

#include <atomic>
#include <cstdint>

#include "histogram.hpp"

namespace relay::bench {

/// A counter with one writer: a relaxed load + store (no locked instruction),
/// readable from any thread.
class counter {
 public:
  void add(std::uint64_t n = 1) noexcept { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  std::uint64_t get() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> v_{0};
};

struct phase_flags {
  std::atomic<bool> traffic{false};  ///< senders may send
  std::atomic<bool> closing{false};
  std::atomic<std::uint64_t> measure_start_ns{~std::uint64_t{0}};
  std::atomic<std::uint64_t> measure_end_ns{~std::uint64_t{0}};
};

struct error_counters {
  counter connect, upgrade, auth, disconnected, protocol, decode, unexpected, wrong_source, wrong_sender,
      out_of_order, overrun;

  std::uint64_t total() const noexcept {
    return connect.get() + upgrade.get() + auth.get() + disconnected.get() + protocol.get() + decode.get() +
           unexpected.get() + wrong_source.get() + wrong_sender.get() + out_of_order.get() + overrun.get();
  }
};

struct alignas(64) thread_stats {
  counter sent;      ///< data messages written
  counter received;  ///< data messages received (each delivery counts)
  counter ready;     ///< connections authenticated (probe came back)
  counter failed;    ///< connections that died
  counter closed;    ///< connections closed cleanly at the end
  std::atomic<std::uint64_t> last_ready_ns{0};
  error_counters errors;
  latency_histogram latency;  ///< io thread only; read after the thread ended
};

}  // namespace relay::bench
