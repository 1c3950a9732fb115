#include "signals.hpp"

#include <signal.h>
#include <unistd.h>

#include <ctime>

namespace relay::cli {

namespace {

sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

signal_watcher::signal_watcher() {
  auto set = stop_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  thread_ = std::thread([this, set] {
    // Short waits so the destructor can end the thread without a signal.
    const timespec slice{0, 100'000'000};
    while (!done_.load()) {
      int sig = sigtimedwait(&set, nullptr, &slice);
      if (sig <= 0) continue;
      received_.store(sig);
      if (!handled_.load()) _exit(128 + sig);
      stop_.request_stop();
    }
  });
}

signal_watcher::~signal_watcher() {
  done_.store(true);
  if (thread_.joinable()) thread_.join();
}

void signal_watcher::take_over(std::stop_source stop) {
  stop_ = std::move(stop);
  handled_.store(true);
}

}  // namespace relay::cli
