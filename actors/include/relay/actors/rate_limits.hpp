// Token buckets, and the per-client-IP limits the relay enforces: new
// connections, failed authentications, rendezvous claims and code issues. One shared,
// thread-safe table (touched per connection and per claim, never per
// message), bounded in size.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

#include "relay/actors/config.hpp"

namespace relay {

class token_bucket {
 public:
  using clock = std::chrono::steady_clock;

  token_bucket() = default;
  token_bucket(double rate_per_second, double burst, clock::time_point now = clock::now())
      : rate_(rate_per_second), burst_(burst), tokens_(burst), last_(now) {}

  /// Takes `n` tokens if available; false (and nothing taken) otherwise.
  bool try_take(double n, clock::time_point now = clock::now());

  /// Takes `n` tokens even into debt; returns how long until the balance is
  /// back to zero (zero when there was enough). For back-pressure.
  clock::duration take(double n, clock::time_point now = clock::now());

  /// Tokens available now.
  double available(clock::time_point now = clock::now());

  /// True when the bucket is full (nothing taken recently).
  bool full(clock::time_point now = clock::now()) { return available(now) >= burst_; }

 private:
  void refill(clock::time_point now);
  double rate_ = 1;
  double burst_ = 1;
  double tokens_ = 1;
  clock::time_point last_{};
};

/// A budget of `per_minute` requests per minute with a burst of a quarter of
/// that (at least 1): the shape of the claim and code-issue budgets.
token_bucket per_minute_budget(double per_minute, token_bucket::clock::time_point now = token_bucket::clock::now());

/// Per-client-IP limits. Loopback clients are exempt unless
/// `limit_loopback` is set (a reverse proxy on the same host would otherwise
/// make every client share one budget; use --trust-proxy there).
class ip_limits {
 public:
  explicit ip_limits(const relay_config& cfg) : cfg_(cfg) {}

  /// Takes one new-connection token; false: refuse this connection.
  bool allow_connection(const std::string& ip);
  /// True while the IP has used up its failed-authentication budget.
  bool auth_blocked(const std::string& ip);
  /// Records a failed authentication.
  void auth_failed(const std::string& ip);
  /// Takes one rendezvous-claim token; false: ignore this claim.
  bool allow_claim(const std::string& ip);
  /// Takes one code-issue (GetRendezvous) token; false: ignore this request.
  bool allow_code(const std::string& ip);

 private:
  struct entry {
    token_bucket connections;
    token_bucket auth_failures;
    token_bucket claims;
    token_bucket codes;
  };
  bool exempt(const std::string& ip) const;
  entry& entry_for(const std::string& ip, token_bucket::clock::time_point now);

  relay_config cfg_;
  std::mutex mutex_;
  std::unordered_map<std::string, entry> entries_;
};

}  // namespace relay
