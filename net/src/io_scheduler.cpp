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
// A helper whose own queue holds this many jobs while its loop's owner has
// none wakes the owner to steal half of them.
constexpr std::size_t wake_owner_at_queued = 8;
// A helper leaves a loop that has had no actor job for it for helper_linger
// and no ready handler for handler_linger: long enough to ride out the gaps
// of a busy loop, short enough to cost little. Between the frames of a loop
// at moderate load (10,000 a second: 100 µs apart) it does not wait.
constexpr auto helper_linger = std::chrono::microseconds(200);
constexpr auto handler_linger = std::chrono::microseconds(20);
}  // namespace

io_scheduler::io_scheduler(caf::actor_system& sys) : abstract_coordinator(sys), unit_(sys, *this) {}

io_scheduler::~io_scheduler() = default;

io_scheduler* io_scheduler::of(caf::actor_system& sys) { return dynamic_cast<io_scheduler*>(&sys.scheduler()); }

void io_scheduler::init(caf::actor_system_config& cfg) {
  abstract_coordinator::init(cfg);
  // Before any actor is spawned: enqueue() may be called from now on.
  auto threads = std::max<std::size_t>(1, num_workers());
  auto socket_loops = socket_loops_for(threads);
  for (std::size_t i = 0; i < socket_loops; ++i) loops_.push_back(std::make_unique<loop>(*this));
  for (std::size_t i = socket_loops; i < threads; ++i) helpers_.push_back(std::make_unique<helper>());
}

io_scheduler::loop& io_scheduler::next_loop() noexcept {
  return *loops_[next_loop_.fetch_add(1, std::memory_order_relaxed) % loops_.size()];
}

asio::io_context& io_scheduler::next_context() noexcept { return next_loop().ioc; }

void io_scheduler::enqueue(caf::resumable* job) {
  if (auto* me = this_threads_helper_) {
    // Stays with the helper: no lock but its own, no thread woken.
    me->jobs.push(job);
    return;
  }
  auto* here = this_threads_loop_;
  if (here != nullptr && &here->owner == this) return queue_on(*here, job, true);
  queue_on(next_loop(), job, false);
}

void io_scheduler::queue_on(loop& l, caf::resumable* job, bool from_its_thread) {
  auto waiting = l.jobs.push(job);
  schedule_drain(l, from_its_thread);
  if (waiting >= call_helper_at_queued && !helpers_.empty() && !l.helped.load(std::memory_order_relaxed))
    call_helper(l);
}

// One drain handler at a time per loop. From the loop's own thread it is
// deferred: it runs behind the handler now running, and no thread is woken.
void io_scheduler::schedule_drain(loop& l, bool from_its_thread) {
  if (l.drain_pending.exchange(true)) return;
  if (from_its_thread)
    asio::defer(l.ioc, [&l] { l.owner.drain(l); });
  else
    asio::post(l.ioc, [&l] { l.owner.drain(l); });
}

// Runs the jobs that waited when it started (later ones wait for the next
// turn, behind the socket handlers queued meanwhile), then takes half of a
// helper's jobs if none are left.
void io_scheduler::drain(loop& l) {
  auto turn = l.jobs.size();
  for (std::size_t i = 0; i < turn; ++i) {
    auto* job = l.jobs.pop();
    if (job == nullptr) break;  // a helper took the rest
    resume(job);
  }
  if (l.jobs.size() == 0)
    if (auto* h = l.helper_on.load()) h->jobs.steal_half(l.jobs, 2);
  l.drain_pending.store(false);
  // A job queued after the size was read sees drain_pending false and
  // schedules the next drain itself; one queued before is seen here.
  if (l.jobs.size() > 0) schedule_drain(l, this_threads_loop_ == &l);
}

void io_scheduler::call_helper(loop& behind) {
  if (behind.helped.exchange(true)) return;
  {
    std::lock_guard<std::mutex> guard{helpers_mutex_};
    behind_.push_back(&behind);
  }
  helpers_cv_.notify_one();
}

// Runs the helper's own jobs and steals more from the loop when it has none.
// With neither, it runs the loop's handlers (socket reads and writes, TLS
// handshakes, a drain) beside its owner with poll_one(), which never blocks:
// the owner alone waits for sockets. It leaves once the loop has had no job
// to steal for helper_linger and no ready handler for handler_linger. Under
// load handlers are always ready, and the helper shares the socket work with
// the owner; at moderate load they come one at a time with gaps between, and
// a helper that waited out those gaps would poll the loop forever, burning a
// core to save the owner a wake-up.
void io_scheduler::help(loop& behind, helper& me) {
  this_threads_helper_ = &me;
  behind.helper_on.store(&me);
  auto last_stolen = std::chrono::steady_clock::now();
  auto last_handled = last_stolen;
  while (!stopping_.load(std::memory_order_relaxed)) {
    if (auto* job = me.jobs.pop()) {
      resume(job);
      if (me.jobs.size() >= wake_owner_at_queued && behind.jobs.size() == 0) schedule_drain(behind, false);
      continue;
    }
    auto now = std::chrono::steady_clock::now();
    if (behind.jobs.steal_half(me.jobs) > 0) {
      last_stolen = now;
      continue;
    }
    if (behind.ioc.poll_one() > 0) {
      last_handled = now;
      continue;
    }
    if (now - last_stolen > helper_linger && now - last_handled > handler_linger) break;
    std::this_thread::yield();
  }
  behind.helper_on.store(nullptr);
  this_threads_helper_ = nullptr;
  // Only when stopping can jobs be left; they go back to the loop, whose
  // queue the stopping thread runs.
  while (auto* job = me.jobs.pop()) queue_on(behind, job, false);
  behind.helped.store(false);
  // Work that arrived while leaving is not stranded (the owner runs it), but
  // a backlog that is still there gets a helper again at once.
  if (!stopping_.load() && behind.jobs.size() >= call_helper_at_queued) call_helper(behind);
}

void io_scheduler::run_helper(helper& me) {
  std::unique_lock<std::mutex> guard{helpers_mutex_};
  for (;;) {
    helpers_cv_.wait(guard, [this] { return stopping_.load() || !behind_.empty(); });
    if (stopping_.load()) return;
    auto* behind = behind_.front();
    behind_.pop_front();
    guard.unlock();
    help(*behind, me);
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
  for (auto& h : helpers_)
    h->thread = std::thread([this, h = h.get()] {
      caf::detail::set_thread_name("relay.helper");
      system().thread_started();
      run_helper(*h);
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
    stopping_.store(true);
  }
  helpers_cv_.notify_all();
  for (auto& l : loops_) {
    l->work.reset();
    l->ioc.stop();
  }
  for (auto& h : helpers_) h->thread.join();
  for (auto& l : loops_) l->thread.join();
  // Run what is still queued (actors finishing) on this thread, bounded; a
  // job may queue another on any loop, so every loop is run until all are
  // idle. Whatever is left after that is handed back to CAF for cleanup.
  for (auto& l : loops_) l->ioc.restart();
  for (int round = 0; round < 1000; ++round) {
    std::size_t ran = 0;
    for (auto& l : loops_) {
      ran += l->ioc.poll();
      while (auto* job = l->jobs.pop()) {
        resume(job);
        ++ran;
      }
    }
    if (ran == 0) break;
  }
  for (auto& l : loops_)
    while (auto* job = l->jobs.pop()) cleanup_and_release(job);
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
