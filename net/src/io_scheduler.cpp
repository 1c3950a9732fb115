#include "io_scheduler.hpp"

#include <chrono>
#include <utility>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/detail/set_thread_name.hpp>
#include <caf/resumable.hpp>

#include "relay/net/io_threads.hpp"

namespace relay::net {

namespace {
// A socket loop with this many actor jobs waiting calls a helper. One pair,
// however fast, never has more than its two actors waiting, and a single
// thread serves it best (no hand-offs); many busy clients at once have more.
constexpr std::size_t call_helper_at_queued = 4;
// A helper leaves a loop that has had nothing to run for this long: long
// enough to ride out the gaps of a busy loop, short enough to cost little.
constexpr auto helper_linger = std::chrono::microseconds(200);
}  // namespace

// Owns one reference to the job until it runs; a handler destroyed without
// running (the loop stopped) gives the job back to CAF for cleanup.
class io_scheduler::resume_handler {
 public:
  resume_handler(loop& where, caf::resumable* job) : where_(&where), job_(job) {}
  resume_handler(resume_handler&& other) noexcept
      : where_(other.where_), job_(std::exchange(other.job_, nullptr)) {}
  resume_handler& operator=(resume_handler&&) = delete;
  ~resume_handler() {
    if (job_ == nullptr) return;
    where_->queued.fetch_sub(1, std::memory_order_relaxed);
    cleanup_and_release(job_);
  }
  void operator()() {
    where_->queued.fetch_sub(1, std::memory_order_relaxed);
    where_->owner.resume(std::exchange(job_, nullptr));
  }

 private:
  loop* where_;
  caf::resumable* job_;
};

io_scheduler::io_scheduler(caf::actor_system& sys) : abstract_coordinator(sys), unit_(sys, *this) {}

io_scheduler::~io_scheduler() = default;

io_scheduler* io_scheduler::of(caf::actor_system& sys) { return dynamic_cast<io_scheduler*>(&sys.scheduler()); }

void io_scheduler::init(caf::actor_system_config& cfg) {
  abstract_coordinator::init(cfg);
  // Before any actor is spawned: enqueue() may be called from now on.
  auto threads = std::max<std::size_t>(1, num_workers());
  auto socket_loops = socket_loops_for(threads);
  for (std::size_t i = 0; i < socket_loops; ++i) loops_.push_back(std::make_unique<loop>(*this));
  helper_count_ = threads - socket_loops;
}

io_scheduler::loop& io_scheduler::next_loop() noexcept {
  return *loops_[next_loop_.fetch_add(1, std::memory_order_relaxed) % loops_.size()];
}

asio::io_context& io_scheduler::next_context() noexcept { return next_loop().ioc; }

void io_scheduler::enqueue(caf::resumable* job) {
  auto* here = this_threads_loop_;
  if (here == nullptr || &here->owner != this) {
    auto& target = next_loop();
    target.queued.fetch_add(1, std::memory_order_relaxed);
    return asio::post(target.ioc, resume_handler{target, job});
  }
  // defer: queued behind the running handler on this thread; no thread woken.
  auto waiting = here->queued.fetch_add(1, std::memory_order_relaxed) + 1;
  asio::defer(here->ioc, resume_handler{*here, job});
  if (waiting >= call_helper_at_queued && helper_count_ > 0 && !here->helped.load(std::memory_order_relaxed))
    call_helper(*here);
}

void io_scheduler::call_helper(loop& behind) {
  if (behind.helped.exchange(true)) return;
  {
    std::lock_guard<std::mutex> guard{helpers_mutex_};
    behind_.push_back(&behind);
  }
  helpers_cv_.notify_one();
}

// Runs the loop's handlers beside its owner until it has been idle for
// helper_linger. poll() never blocks: the owner alone waits for sockets.
void io_scheduler::help(loop& behind) {
  this_threads_loop_ = &behind;
  auto idle_since = std::chrono::steady_clock::now();
  while (!behind.ioc.stopped()) {
    if (behind.ioc.poll() > 0) {
      idle_since = std::chrono::steady_clock::now();
      continue;
    }
    if (std::chrono::steady_clock::now() - idle_since > helper_linger) break;
    std::this_thread::yield();
  }
  this_threads_loop_ = nullptr;
  behind.helped.store(false);
  // Work that arrived while leaving is not stranded (the owner runs it), but
  // a backlog that is still there gets a helper again at once.
  if (behind.queued.load(std::memory_order_relaxed) >= call_helper_at_queued) call_helper(behind);
}

void io_scheduler::run_helper() {
  std::unique_lock<std::mutex> guard{helpers_mutex_};
  for (;;) {
    helpers_cv_.wait(guard, [this] { return stopping_ || !behind_.empty(); });
    if (stopping_) return;
    auto* behind = behind_.front();
    behind_.pop_front();
    guard.unlock();
    help(*behind);
    guard.lock();
  }
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
  for (auto& l : loops_)
    l->thread = std::thread([this, l = l.get()] {
      caf::detail::set_thread_name("relay.io");
      this_threads_loop_ = l;
      system().thread_started();
      l->ioc.run();
      system().thread_terminates();
      this_threads_loop_ = nullptr;
    });
  for (std::size_t i = 0; i < helper_count_; ++i)
    helpers_.emplace_back([this] {
      caf::detail::set_thread_name("relay.helper");
      system().thread_started();
      run_helper();
      system().thread_terminates();
    });
  abstract_coordinator::start();
}

void io_scheduler::stop() {
  // Called by ~actor_system after every actor of the program is done; the
  // servers on these loops are gone, so only actor jobs can be left.
  stop_actors();
  {
    std::lock_guard<std::mutex> guard{helpers_mutex_};
    stopping_ = true;
  }
  helpers_cv_.notify_all();
  for (auto& l : loops_) {
    l->work.reset();
    l->ioc.stop();
  }
  for (auto& h : helpers_) h.join();
  helpers_.clear();
  for (auto& l : loops_) l->thread.join();
  // Run what is still queued (actors finishing) on this thread, bounded; a
  // job may post to any loop, so every loop is polled until all are idle.
  for (auto& l : loops_) l->ioc.restart();
  for (int round = 0; round < 1000; ++round) {
    std::size_t ran = 0;
    for (auto& l : loops_) ran += l->ioc.poll();
    if (ran == 0) break;
  }
  clock_.cancel_dispatch_loop();
  clock_thread_.join();
}

namespace {
// Messages one actor handles per turn before it goes to the back of its
// loop's queue. Work an actor makes runnable during its turn (a session's
// write, the registry) waits behind it: short turns keep one busy client
// (64 frames of read credit, each maybe megabytes of JSON) from holding
// everyone else on its loop for its whole batch.
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
