// The scheduler behind run_actors_on_io_threads(): a CAF scheduler module
// whose actors run on the relay's event loops. Resuming an actor is a
// handler on an Asio io_context, so actors and sockets share the threads.
//
// Two kinds of thread:
// - Socket loops each own an io_context and serve the connections placed
//   on it (round robin at accept, next_context()). A frame read on a loop
//   makes its connection actor runnable there, and the actor runs right
//   behind the read on the same thread; its Send to a connection of the
//   same loop is written there too. At moderate load nothing wakes another
//   thread: no scheduler lock or epoll instance is shared by all threads.
// - Helpers sleep until a socket loop falls behind (enough actor jobs wait
//   on it: many clients busy at once, a burst of handshakes). A helper then
//   runs that loop's io_context beside its owner, sockets and actors alike
//   (each session's handlers stay serialised on its strand, each actor on
//   its mailbox), and goes back to sleep once the loop has been idle for a
//   moment. Under load the cores share the work; at rest they are not woken.
// A job made runnable off the loops (the clock, a detached actor, main) is
// posted to a socket loop, round robin.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "io_clock.hpp"
#include <caf/execution_unit.hpp>
#include <caf/scheduler/abstract_coordinator.hpp>

#include "asio.hpp"

namespace relay::net {

class io_scheduler final : public caf::scheduler::abstract_coordinator {
 public:
  explicit io_scheduler(caf::actor_system& sys);
  ~io_scheduler() override;

  /// The system's io_scheduler, or nullptr when it runs CAF's own scheduler.
  static io_scheduler* of(caf::actor_system& sys);

  /// Socket loops for `threads` threads in all; the others are helpers.
  static std::size_t socket_loops_for(std::size_t threads) noexcept { return (threads + 1) / 2; }

  /// The first socket loop: listeners and signal handling of a server live here.
  asio::io_context& context() noexcept { return loops_.front()->ioc; }

  /// The socket loop the next accepted connection lives on (round robin).
  asio::io_context& next_context() noexcept;

  void enqueue(caf::resumable* job) override;
  caf::actor_clock& clock() noexcept override { return clock_; }
  void init(caf::actor_system_config& cfg) override;
  void start() override;
  void stop() override;

 private:
  // The execution context CAF hands to a running actor; a message that
  // makes another actor runnable comes back here (exec_later).
  class unit final : public caf::execution_unit {
   public:
    unit(caf::actor_system& sys, io_scheduler& owner) : caf::execution_unit(&sys), owner_(owner) {}
    void exec_later(caf::resumable* job) override { owner_.enqueue(job); }

   private:
    io_scheduler& owner_;
  };
  class resume_handler;

  // A socket loop: its owner thread runs `ioc` always, a helper sometimes.
  // `queued` (actor jobs posted to it, not yet started) and `helped` are
  // read and written by every thread.
  struct loop {
    explicit loop(io_scheduler& s) : owner(s), ioc(1), work(asio::make_work_guard(ioc)) {}
    io_scheduler& owner;
    asio::io_context ioc;
    asio::executor_work_guard<asio::io_context::executor_type> work;
    std::atomic<std::size_t> queued{0};
    std::atomic<bool> helped{false};  // a helper is on it or has been called
    std::thread thread;
  };

  void resume(caf::resumable* job);
  loop& next_loop() noexcept;  // round robin
  void call_helper(loop& behind);
  void help(loop& behind);
  void run_helper();

  // The loop the calling thread runs (its own, or the one it helps), or
  // nullptr off the loops.
  static inline thread_local loop* this_threads_loop_ = nullptr;

  std::vector<std::unique_ptr<loop>> loops_;  // fixed from init() on
  std::atomic<std::size_t> next_loop_{0};
  // Helpers: threads waiting for a loop that fell behind (guarded by mutex).
  std::mutex helpers_mutex_;
  std::condition_variable helpers_cv_;
  std::deque<loop*> behind_;
  bool stopping_ = false;
  std::vector<std::thread> helpers_;
  std::size_t helper_count_ = 0;
  io_clock clock_;
  std::thread clock_thread_;
  unit unit_;
};

}  // namespace relay::net
