// The FIFO of one session's outbound frames. Unlike std::deque, which
// allocates a map and a 512-byte block as soon as it exists, it holds no
// memory while empty: most connections are idle most of the time.
// Not thread-safe: the session guards it with its outbound mutex.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include "relay/actors/frame.hpp"

namespace relay::net {

class frame_fifo {
 public:
  bool empty() const noexcept { return head_ == items_.size(); }

  void push_back(shared_frame frame) { items_.push_back(std::move(frame)); }

  /// The oldest frame, removed. Precondition: !empty().
  shared_frame pop_front() {
    auto frame = std::move(items_[head_++]);
    if (empty()) {
      clear();
    } else if (head_ >= compact_after && head_ * 2 >= items_.size()) {
      // A queue that never drains: drop the slots already taken.
      items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
    return frame;
  }

  /// Drops every frame; gives back memory beyond a small reserve.
  void clear() {
    items_.clear();
    head_ = 0;
    if (items_.capacity() > kept_capacity) items_.shrink_to_fit();
  }

 private:
  static constexpr std::size_t compact_after = 64;
  static constexpr std::size_t kept_capacity = 16;
  std::vector<shared_frame> items_;
  std::size_t head_ = 0;  // items_[0, head_) were taken
};

}  // namespace relay::net
