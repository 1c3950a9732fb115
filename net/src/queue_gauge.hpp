// Hook for the metrics endpoint: mirrors one session's queued outbound bytes
// into relay_stats::outbound_queued_bytes (relay_outbound_queued_bytes).
// The session calls update(out_bytes_) wherever out_bytes_ changes (under
// its out mutex); the destructor takes whatever is left out of the total.
#pragma once

#include <cstddef>
#include <memory>

#include "relay/actors/stats.hpp"

namespace relay::net {

class queue_gauge {
 public:
  explicit queue_gauge(std::shared_ptr<relay_stats> stats) : stats_(std::move(stats)) {}
  ~queue_gauge() { update(0); }
  queue_gauge(const queue_gauge&) = delete;
  queue_gauge& operator=(const queue_gauge&) = delete;

  void update(std::size_t queued) noexcept {
    if (!stats_ || queued == mine_) return;
    if (queued > mine_) stats_->outbound_queued_bytes.fetch_add(queued - mine_, std::memory_order_relaxed);
    else stats_->outbound_queued_bytes.fetch_sub(mine_ - queued, std::memory_order_relaxed);
    mine_ = queued;
  }

 private:
  std::shared_ptr<relay_stats> stats_;
  std::size_t mine_ = 0;  // this session's share of the total
};

}  // namespace relay::net
