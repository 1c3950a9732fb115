// A relay::transport for driving one connection actor without a socket:
// it records what the actor sends, closes and consumes, checks the
// transport-side invariants as they happen, and lets the harness wait
// (bounded) for the actor to get somewhere.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include "relay/actors/transport.hpp"

namespace relay::fuzz {

[[noreturn]] inline void fail(const char* what) {
  std::fprintf(stderr, "fuzz_connection_frames: invariant broken: %s\n", what);
  std::abort();
}

class recording_transport final : public transport {
 public:
  struct close_record {
    std::uint16_t code;
    std::string reason;
  };

  explicit recording_transport(wire_format format = wire_format::json) : format_(format) {}

  wire_format format() const override { return format_; }

  void send(shared_frame frame) override {
    if (!frame) fail("send with a null frame");
    std::lock_guard lock{mutex_};
    sent_.push_back(std::move(frame));
    changed_.notify_all();
  }

  void close(std::uint16_t code, std::string reason) override {
    std::lock_guard lock{mutex_};
    closes_.push_back({code, std::move(reason)});
    changed_.notify_all();
  }

  void frame_consumed(std::size_t bytes) override {
    std::lock_guard lock{mutex_};
    if (terminated_) fail("frame_consumed after the actor terminated");
    consumed_.push_back(bytes);
    changed_.notify_all();
  }

  std::string peer() const override { return "fuzz:0"; }

  /// Called from the actor's exit hook (attach_functor).
  void mark_terminated() {
    std::lock_guard lock{mutex_};
    terminated_ = true;
    changed_.notify_all();
  }

  /// Waits until `done()` holds (called under the lock); false on timeout.
  template <class Predicate>
  bool wait_until(Predicate done, std::chrono::milliseconds limit) {
    std::unique_lock lock{mutex_};
    return changed_.wait_for(lock, limit, [&] { return done(*this); });
  }

  // Accessors: only under wait_until's predicate, or via snapshot().
  std::size_t sent_count() const { return sent_.size(); }
  std::size_t consumed_count() const { return consumed_.size(); }
  bool terminated() const { return terminated_; }

  struct snapshot_t {
    std::vector<shared_frame> sent;
    std::vector<close_record> closes;
    std::vector<std::size_t> consumed;
    bool terminated;
  };
  snapshot_t snapshot() const {
    std::lock_guard lock{mutex_};
    return {sent_, closes_, consumed_, terminated_};
  }

 private:
  const wire_format format_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<shared_frame> sent_;
  std::vector<close_record> closes_;
  std::vector<std::size_t> consumed_;
  bool terminated_ = false;
};

}  // namespace relay::fuzz
