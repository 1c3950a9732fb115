#include "registry.hpp"

#include <algorithm>

namespace relay::null_relay {

void registry::add(const protocol::fingerprint& fp, session* s) {
  std::lock_guard lock(mu_);
  members_[fp].push_back(s);
}

void registry::remove(const protocol::fingerprint& fp, session* s) {
  std::lock_guard lock(mu_);
  auto it = members_.find(fp);
  if (it == members_.end()) return;
  auto& v = it->second;
  v.erase(std::remove(v.begin(), v.end(), s), v.end());
  if (v.empty()) members_.erase(it);
}

}  // namespace relay::null_relay
