#include "relay/actors/rate_limits.hpp"

#include <algorithm>

namespace relay {

void token_bucket::refill(clock::time_point now) {
  if (now <= last_) return;
  std::chrono::duration<double> elapsed = now - last_;
  tokens_ = std::min(burst_, tokens_ + elapsed.count() * rate_);
  last_ = now;
}

bool token_bucket::try_take(double n, clock::time_point now) {
  refill(now);
  if (tokens_ < n) return false;
  tokens_ -= n;
  return true;
}

token_bucket::clock::duration token_bucket::take(double n, clock::time_point now) {
  refill(now);
  tokens_ -= n;
  if (tokens_ >= 0) return clock::duration::zero();
  return std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(-tokens_ / rate_));
}

double token_bucket::available(clock::time_point now) {
  refill(now);
  return tokens_;
}

token_bucket per_minute_budget(double per_minute, token_bucket::clock::time_point now) {
  return token_bucket{per_minute / 60.0, std::max(1.0, per_minute / 4), now};
}

bool ip_limits::exempt(const std::string& ip) const {
  if (cfg_.limit_loopback) return false;
  return ip == "::1" || ip.rfind("127.", 0) == 0 || ip.rfind("::ffff:127.", 0) == 0;
}

ip_limits::entry& ip_limits::entry_for(const std::string& ip, token_bucket::clock::time_point now) {
  auto it = entries_.find(ip);
  if (it != entries_.end()) return it->second;
  // Bounded table: when full, forget IPs whose buckets are all full again
  // (they have nothing against them); if none are, forget arbitrary ones.
  if (entries_.size() >= cfg_.max_tracked_ips) {
    for (auto e = entries_.begin(); e != entries_.end();) {
      bool idle = e->second.connections.full(now) && e->second.auth_failures.full(now) &&
                  e->second.claims.full(now) && e->second.codes.full(now);
      e = idle ? entries_.erase(e) : std::next(e);
    }
    while (entries_.size() >= cfg_.max_tracked_ips) entries_.erase(entries_.begin());
  }
  entry fresh{token_bucket{cfg_.connections_per_ip_per_second, cfg_.connections_per_ip_per_second * 2, now},
              token_bucket{cfg_.auth_failures_per_ip_per_minute / 60.0, cfg_.auth_failures_per_ip_per_minute, now},
              per_minute_budget(cfg_.claims_per_ip_per_minute, now),
              per_minute_budget(cfg_.codes_per_ip_per_minute, now)};
  return entries_.emplace(ip, fresh).first->second;
}

bool ip_limits::allow_connection(const std::string& ip) {
  if (exempt(ip)) return true;
  std::lock_guard<std::mutex> guard{mutex_};
  auto now = token_bucket::clock::now();
  return entry_for(ip, now).connections.try_take(1, now);
}

bool ip_limits::auth_blocked(const std::string& ip) {
  if (exempt(ip)) return false;
  std::lock_guard<std::mutex> guard{mutex_};
  auto now = token_bucket::clock::now();
  return entry_for(ip, now).auth_failures.available(now) < 1;
}

void ip_limits::auth_failed(const std::string& ip) {
  if (exempt(ip)) return;
  std::lock_guard<std::mutex> guard{mutex_};
  auto now = token_bucket::clock::now();
  entry_for(ip, now).auth_failures.try_take(1, now);
}

bool ip_limits::allow_claim(const std::string& ip) {
  if (exempt(ip)) return true;
  std::lock_guard<std::mutex> guard{mutex_};
  auto now = token_bucket::clock::now();
  return entry_for(ip, now).claims.try_take(1, now);
}

bool ip_limits::allow_code(const std::string& ip) {
  if (exempt(ip)) return true;
  std::lock_guard<std::mutex> guard{mutex_};
  auto now = token_bucket::clock::now();
  return entry_for(ip, now).codes.try_take(1, now);
}

}  // namespace relay
