// The scheduler behind run_actors_on_io_threads(): a CAF scheduler module
// whose actors run on the relay's event loops, so actors and sockets share
// the threads.
//
// Two kinds of thread:
// - Socket loops each own an io_context and serve the connections placed
//   on it (round robin at accept, next_context()), and a queue of runnable
//   actor jobs (job_queue.hpp) that one handler on the io_context drains in
//   turns. A frame read on a loop makes its connection actor runnable there,
//   and the actor runs right behind the read on the same thread; its Send to
//   a connection of the same loop is written there too. At moderate load
//   nothing wakes another thread: no scheduler lock or epoll instance is
//   shared by all threads.
// - Helpers sleep until a socket loop falls behind (enough actor jobs wait
//   on it: many clients busy at once, a burst of handshakes). A helper then
//   steals half of that loop's jobs into a queue of its own and runs them;
//   the actors they make runnable stay on the helper's queue, so the two
//   threads mostly touch their own queues, not one shared lock. With no job
//   to steal the helper runs the loop's socket handlers beside its owner,
//   and it goes back to sleep once the loop has been idle for a moment. The
//   owner in turn steals from its helper when its own queue runs dry.
// A job made runnable off the loops (the clock, a detached actor, main) is
// queued on a socket loop, round robin.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "io_clock.hpp"
#include "job_queue.hpp"
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
  struct helper;

  // A socket loop: its owner thread runs `ioc` always, a helper sometimes.
  // Every field is shared by the owner, a helper and any thread queueing a
  // job here.
  struct loop {
    explicit loop(io_scheduler& s) : owner(s), ioc(1), work(asio::make_work_guard(ioc)) {}
    io_scheduler& owner;
    asio::io_context ioc;
    asio::executor_work_guard<asio::io_context::executor_type> work;
    job_queue jobs;
    std::atomic<bool> drain_pending{false};  // a drain handler is queued on ioc
    std::atomic<bool> helped{false};         // a helper is on it or has been called
    std::atomic<helper*> helper_on{nullptr}; // the helper at work here, for stealing back
    std::thread thread;
  };

  // A helper thread's own jobs: the ones it stole and those they made runnable.
  struct helper {
    job_queue jobs;
    std::thread thread;
  };

  void resume(caf::resumable* job);
  loop& next_loop() noexcept;  // round robin
  void queue_on(loop& l, caf::resumable* job, bool from_its_thread);
  void schedule_drain(loop& l, bool from_its_thread);
  void drain(loop& l);
  void call_helper(loop& behind);
  void help(loop& behind, helper& me);
  void run_helper(helper& me);

  // What the calling thread is: the owner of a loop, a helper, or neither
  // (nullptr both). A helper's jobs go to its own queue, whichever loop it
  // helps.
  static inline thread_local loop* this_threads_loop_ = nullptr;
  static inline thread_local helper* this_threads_helper_ = nullptr;

  std::vector<std::unique_ptr<loop>> loops_;  // fixed from init() on
  std::atomic<std::size_t> next_loop_{0};
  // Helpers: threads waiting for a loop that fell behind (behind_ guarded
  // by the mutex; stopping_ is written under it and read by working helpers).
  std::mutex helpers_mutex_;
  std::condition_variable helpers_cv_;
  std::deque<loop*> behind_;
  std::atomic<bool> stopping_{false};
  std::vector<std::unique_ptr<helper>> helpers_;  // fixed from init() on
  io_clock clock_;
  std::thread clock_thread_;
  unit unit_;
};

}  // namespace relay::net
