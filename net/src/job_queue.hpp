// A queue of runnable actor jobs of the I/O scheduler (io_scheduler.hpp).
// Its thread pushes and pops at the front; another thread with nothing to
// run steals half from the back. One short lock per operation: the owner's
// own pushes and pops are uncontended except while a thief is at work.
#pragma once

#include <atomic>
#include <cstddef>
#include <deque>
#include <mutex>

#include <caf/resumable.hpp>

namespace relay::net {

class job_queue {
 public:
  /// Adds a job at the back; returns how many wait now.
  std::size_t push(caf::resumable* job) {
    std::lock_guard<std::mutex> guard{mutex_};
    jobs_.push_back(job);
    size_.store(jobs_.size());
    return jobs_.size();
  }

  /// The job at the front, or nullptr.
  caf::resumable* pop() {
    std::lock_guard<std::mutex> guard{mutex_};
    if (jobs_.empty()) return nullptr;
    auto* job = jobs_.front();
    jobs_.pop_front();
    size_.store(jobs_.size());
    return job;
  }

  /// Moves half of the waiting jobs (rounded up) from the back to `thief`,
  /// if at least `at_least` wait; returns how many moved. The jobs queued
  /// last are taken: their actors then keep running on the thief's thread.
  std::size_t steal_half(job_queue& thief, std::size_t at_least = 1) {
    std::deque<caf::resumable*> taken;
    {
      std::lock_guard<std::mutex> guard{mutex_};
      if (jobs_.size() < at_least || jobs_.empty()) return 0;
      auto n = (jobs_.size() + 1) / 2;
      taken.assign(jobs_.end() - static_cast<std::ptrdiff_t>(n), jobs_.end());
      jobs_.erase(jobs_.end() - static_cast<std::ptrdiff_t>(n), jobs_.end());
      size_.store(jobs_.size());
    }
    std::lock_guard<std::mutex> guard{thief.mutex_};
    for (auto* job : taken) thief.jobs_.push_back(job);
    thief.size_.store(thief.jobs_.size());
    return taken.size();
  }

  /// How many wait, without the lock (a hint: it may change at once).
  std::size_t size() const noexcept { return size_.load(); }

 private:
  std::mutex mutex_;
  std::deque<caf::resumable*> jobs_;
  std::atomic<std::size_t> size_{0};
};

}  // namespace relay::net
