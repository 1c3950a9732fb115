// The registry's credit toward one peer node: envelope bytes sent to it
// and not yet acknowledged, remembered in send order with their senders,
// so that when the backlog fills the heaviest senders are dropped first.
//
// Up to half the cap, anything goes. Above it, a sender is admitted only
// while its own bytes in flight stay under an equal share of the other
// half among the senders with bytes in flight (cap / (2 * senders)); the
// hard cap bounds the total. One heavy pair therefore fills about half the
// backlog by itself and then loses its own frames, while everyone else's
// still get through.
// Acknowledgements come back in send order (registry to registry is one
// FIFO actor pair), so they retire the oldest records.
//
// Owned by the registry actor (one per peer); not thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <unordered_map>

#include "relay/protocol/crypto.hpp"

namespace relay::detail {

class peer_credit {
 public:
  explicit peer_credit(std::uint64_t cap_bytes) : cap_(cap_bytes) {}

  /// Whether `sender` may put `size` more bytes in flight; if so, they are
  /// counted.
  bool admit(const protocol::fingerprint& sender, std::uint64_t size) {
    auto charged = size + per_frame_overhead;
    if (total_ + charged > cap_) return false;
    if (total_ + charged > cap_ / 2) {
      auto mine = by_sender_.find(sender);
      std::uint64_t in_flight = mine == by_sender_.end() ? 0 : mine->second;
      std::uint64_t senders = by_sender_.size() + (mine == by_sender_.end() ? 1 : 0);
      if (in_flight + charged > cap_ / (2 * senders)) return false;
    }
    order_.push_back({sender, charged});
    by_sender_[sender] += charged;
    total_ += charged;
    return true;
  }

  /// The peer acknowledged `bytes` more envelope bytes (oldest first).
  void acknowledged(std::uint64_t bytes) {
    while (bytes > 0 && !order_.empty()) {
      auto& front = order_.front();
      // Charged bytes include the overhead; the peer counts payload only.
      auto payload_left = front.charged - per_frame_overhead - front.acked;
      auto take = bytes < payload_left ? bytes : payload_left;
      front.acked += take;
      bytes -= take;
      if (front.acked + per_frame_overhead == front.charged) retire_front();
    }
  }

  std::uint64_t in_flight() const { return total_; }

 private:
  /// Each record costs memory too: charging it bounds the record count.
  static constexpr std::uint64_t per_frame_overhead = 64;

  struct record {
    protocol::fingerprint sender;
    std::uint64_t charged = 0;
    std::uint64_t acked = 0;  // payload bytes of it acknowledged so far
  };

  void retire_front() {
    const auto& front = order_.front();
    auto it = by_sender_.find(front.sender);
    if (it != by_sender_.end()) {
      it->second -= std::min(it->second, front.charged);
      if (it->second == 0) by_sender_.erase(it);
    }
    total_ -= std::min(total_, front.charged);
    order_.pop_front();
  }

  std::uint64_t cap_;
  std::uint64_t total_ = 0;
  std::deque<record> order_;
  std::unordered_map<protocol::fingerprint, std::uint64_t, protocol::fingerprint_hash> by_sender_;
};

}  // namespace relay::detail
