// Fingerprint -> sessions, under one mutex (uncontended with one io thread).
#pragma once

#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "relay/protocol/types.hpp"

namespace relay::null_relay {

class session;

struct fp_hash {
  std::size_t operator()(const protocol::fingerprint& fp) const noexcept {
    std::size_t h;  // SHA-256 output: any 8 bytes are uniformly distributed
    std::memcpy(&h, fp.data(), sizeof h);
    return h;
  }
};

class registry {
 public:
  void add(const protocol::fingerprint& fp, session* s);
  void remove(const protocol::fingerprint& fp, session* s);

  /// Calls `deliver(frame)` on every session of `fp` while holding the lock
  /// (a session leaves the registry before it can be destroyed).
  template <class F>
  void for_each(const protocol::fingerprint& fp, F&& f) {
    std::lock_guard lock(mu_);
    auto it = members_.find(fp);
    if (it == members_.end()) return;
    for (session* s : it->second) f(*s);
  }

  /// Calls f on every session, under the lock (for shutdown).
  template <class F>
  void for_all(F&& f) {
    std::lock_guard lock(mu_);
    for (auto& [fp, v] : members_) {
      for (session* s : v) f(*s);
    }
  }

 private:
  std::mutex mu_;
  std::unordered_map<protocol::fingerprint, std::vector<session*>, fp_hash> members_;
};

}  // namespace relay::null_relay
