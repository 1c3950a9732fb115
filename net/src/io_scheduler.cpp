#include "io_scheduler.hpp"

#include <utility>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/detail/set_thread_name.hpp>
#include <caf/resumable.hpp>

#include "relay/net/io_threads.hpp"

namespace relay::net {

// Owns one reference to the job until it runs; a handler destroyed without
// running (the loop stopped) gives the job back to CAF for cleanup.
class io_scheduler::resume_handler {
 public:
  resume_handler(io_scheduler& owner, caf::resumable* job) : owner_(&owner), job_(job) {}
  resume_handler(resume_handler&& other) noexcept
      : owner_(other.owner_), job_(std::exchange(other.job_, nullptr)) {}
  resume_handler& operator=(resume_handler&&) = delete;
  ~resume_handler() {
    if (job_ != nullptr) cleanup_and_release(job_);
  }
  void operator()() { owner_->resume(std::exchange(job_, nullptr)); }

 private:
  io_scheduler* owner_;
  caf::resumable* job_;
};

io_scheduler::io_scheduler(caf::actor_system& sys)
    : abstract_coordinator(sys), work_(asio::make_work_guard(ioc_)), unit_(sys, *this) {}

io_scheduler::~io_scheduler() = default;

io_scheduler* io_scheduler::of(caf::actor_system& sys) { return dynamic_cast<io_scheduler*>(&sys.scheduler()); }

void io_scheduler::enqueue(caf::resumable* job) {
  // defer, not post: from an I/O thread the job stays on that thread (no
  // other thread is woken); from any other thread it is queued as a post.
  asio::defer(ioc_, resume_handler{*this, job});
}

void io_scheduler::resume(caf::resumable* job) {
  switch (job->resume(&unit_, max_throughput())) {
    case caf::resumable::resume_later:
      enqueue(job);  // keeps its reference, goes to the back of the queue
      break;
    case caf::resumable::done:
    case caf::resumable::awaiting_message:
    case caf::resumable::shutdown_execution_unit:
      caf::intrusive_ptr_release(job);
      break;
  }
}

void io_scheduler::start() {
  clock_thread_ = std::thread{[this] {
    caf::detail::set_thread_name("relay.clock");
    system().thread_started();
    clock_.run_dispatch_loop();
    system().thread_terminates();
  }};
  for (std::size_t i = 0; i < num_workers(); ++i)
    threads_.emplace_back([this] {
      caf::detail::set_thread_name("relay.io");
      system().thread_started();
      ioc_.run();
      system().thread_terminates();
    });
  abstract_coordinator::start();
}

void io_scheduler::stop() {
  // Called by ~actor_system after every actor of the program is done; the
  // servers on this loop are gone, so only actor jobs can be left.
  stop_actors();
  work_.reset();
  ioc_.stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
  // Run what is still queued (actors finishing) on this thread, bounded.
  ioc_.restart();
  for (int round = 0; round < 1000 && ioc_.poll() > 0; ++round) {
  }
  clock_.cancel_dispatch_loop();
  clock_thread_.join();
}

namespace {
// Messages one actor handles per turn on an I/O thread before it goes to the
// back of the queue. Work an actor makes runnable during its turn (the
// registry, a session's write) waits in that thread's private queue until
// the turn ends, where no other thread can take it: short turns keep one
// busy client (64 frames of read credit, each maybe megabytes of JSON) from
// holding the registry, and with it everyone's messages, for its whole batch.
constexpr std::size_t messages_per_turn = 16;
}  // namespace

void run_actors_on_io_threads(caf::actor_system_config& cfg, unsigned threads) {
  cfg.set("scheduler.max-threads", static_cast<std::size_t>(threads == 0 ? 1 : threads));
  cfg.set("scheduler.max-throughput", messages_per_turn);
  cfg.module_factories.push_back([](caf::actor_system& sys) -> caf::actor_system::module* {
    return new io_scheduler(sys);
  });
}

}  // namespace relay::net
