// SIGINT/SIGTERM for relay-cli. The signals are blocked in every thread
// (so construct this before any other thread starts: the connection's
// network thread inherits the mask) and taken by one watcher thread with
// sigtimedwait. That thread may do what a signal handler may not: request
// a std::stop_source, so `listen` and `connect` end cleanly and exit 0.
// Commands that never call take_over() are ended at once with 128+signal.
#pragma once

#include <atomic>
#include <stop_token>
#include <thread>

namespace relay::cli {

class signal_watcher {
 public:
  signal_watcher();
  ~signal_watcher();
  signal_watcher(const signal_watcher&) = delete;
  signal_watcher& operator=(const signal_watcher&) = delete;

  /// From now on a signal requests `stop` instead of ending the process.
  void take_over(std::stop_source stop);
  /// The signal received, 0 if none.
  int received() const { return received_.load(); }

 private:
  std::atomic<bool> done_{false};
  std::atomic<int> received_{0};
  std::atomic<bool> handled_{false};
  std::stop_source stop_{std::nostopstate};
  std::thread thread_;
};

}  // namespace relay::cli
