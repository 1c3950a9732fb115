// The live WebSocket connections of a server, by their outboxes: the
// connection limit counts them and a graceful shutdown closes each one and
// waits (bounded) for the last to finish. Touched once per connect and
// disconnect only.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "relay/actors/transport.hpp"

namespace relay::net {

class session_tracker {
 public:
  /// False once close_all() has begun: the session must close itself (it
  /// finished its upgrade while the server was shutting down).
  [[nodiscard]] bool add(const std::shared_ptr<transport>& t) {
    std::lock_guard<std::mutex> guard{mutex_};
    if (closing_) return false;
    live_.emplace(t.get(), t);
    return true;
  }
  /// The connection's socket is gone.
  void remove(const transport* t) {
    std::lock_guard<std::mutex> guard{mutex_};
    if (live_.erase(t) > 0 && live_.empty()) emptied_.notify_all();
  }
  std::size_t size() const {
    std::lock_guard<std::mutex> guard{mutex_};
    return live_.size();
  }
  /// Refuses new connections from now on, then calls `f` on every one
  /// still alive (outside the lock).
  void close_all(const std::function<void(transport&)>& f) {
    std::vector<std::shared_ptr<transport>> alive;
    {
      std::lock_guard<std::mutex> guard{mutex_};
      closing_ = true;
      for (auto& [ptr, weak] : live_)
        if (auto t = weak.lock()) alive.push_back(std::move(t));
    }
    for (auto& t : alive) f(*t);
  }
  /// Waits until every connection is removed, or `deadline`; true if none is left.
  bool wait_until_empty(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock<std::mutex> guard{mutex_};
    return emptied_.wait_until(guard, deadline, [this] { return live_.empty(); });
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable emptied_;
  bool closing_ = false;
  std::unordered_map<const transport*, std::weak_ptr<transport>> live_;
};

}  // namespace relay::net
