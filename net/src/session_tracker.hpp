// The set of live WebSocket sessions, so a graceful shutdown can close
// every one of them. Touched once per connect and disconnect only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace relay::net {

class websocket_session;

class session_tracker {
 public:
  /// False once close_all() has begun: the session must close itself (it
  /// finished its upgrade while the server was shutting down).
  [[nodiscard]] bool add(const std::shared_ptr<websocket_session>& s) {
    std::lock_guard<std::mutex> guard{mutex_};
    if (closing_) return false;
    sessions_.emplace(s.get(), s);
    return true;
  }
  void remove(websocket_session* s) {
    std::lock_guard<std::mutex> guard{mutex_};
    sessions_.erase(s);
  }
  std::size_t size() const {
    std::lock_guard<std::mutex> guard{mutex_};
    return sessions_.size();
  }
  /// Refuses new sessions from now on, then calls `f` on every session
  /// still alive (outside the lock).
  void close_all(const std::function<void(websocket_session&)>& f) {
    std::vector<std::shared_ptr<websocket_session>> alive;
    {
      std::lock_guard<std::mutex> guard{mutex_};
      closing_ = true;
      for (auto& [ptr, weak] : sessions_)
        if (auto s = weak.lock()) alive.push_back(std::move(s));
    }
    for (auto& s : alive) f(*s);
  }

 private:
  mutable std::mutex mutex_;
  bool closing_ = false;
  std::unordered_map<websocket_session*, std::weak_ptr<websocket_session>> sessions_;
};

}  // namespace relay::net
