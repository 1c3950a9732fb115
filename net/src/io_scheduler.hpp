// The scheduler behind run_actors_on_io_threads(): a CAF scheduler module
// whose threads run one Asio io_context. Resuming an actor is a handler on
// that io_context, so actors and sockets share the threads.
#pragma once

#include <thread>
#include <vector>

#include <caf/detail/thread_safe_actor_clock.hpp>
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

  /// The event loop the I/O threads run; sockets of a server on this system live here.
  asio::io_context& context() noexcept { return ioc_; }

  void enqueue(caf::resumable* job) override;
  caf::actor_clock& clock() noexcept override { return clock_; }
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

  void resume(caf::resumable* job);

  asio::io_context ioc_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::vector<std::thread> threads_;
  caf::detail::thread_safe_actor_clock clock_;
  std::thread clock_thread_;
  unit unit_;
};

}  // namespace relay::net
