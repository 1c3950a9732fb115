// The scheduler that runs actors on the I/O threads (net/src/io_scheduler.hpp),
// without sockets: its job queue alone, then real actor systems of 1 to 4
// threads where many actors are runnable at once (so loops fall behind,
// helpers steal and owners steal back). Every message must arrive exactly
// once, in order per sender, and each system must end when destroyed, even
// with messages still queued.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include <caf/all.hpp>

#include "io_scheduler.hpp"
#include "job_queue.hpp"
#include "relay/net/io_threads.hpp"

using relay::net::job_queue;

namespace {

// A job that only has an identity: the queue never runs or releases it.
struct fake_job final : caf::resumable {
  resume_result resume(caf::execution_unit*, std::size_t) override { return done; }
  void intrusive_ptr_add_ref_impl() override {}
  void intrusive_ptr_release_impl() override {}
};

using ball_atom = caf::atom_constant<caf::atom("ball")>;
using item_atom = caf::atom_constant<caf::atom("item")>;
using more_atom = caf::atom_constant<caf::atom("more")>;

struct tally {
  std::atomic<std::uint64_t> received{0};
  std::atomic<std::uint64_t> out_of_order{0};
  std::atomic<unsigned> finished{0};
};

// One side of a pair passing a ball back and forth `rounds` times; the
// number on the ball grows by one per hop, so each side sees every second
// number in turn.
caf::behavior player(caf::event_based_actor* self, std::shared_ptr<tally> t, std::uint64_t rounds) {
  auto last = std::make_shared<std::int64_t>(-1);
  return {[=](ball_atom, std::uint64_t n, const caf::actor& peer) {
    t->received.fetch_add(1);
    if (*last >= 0 && n != static_cast<std::uint64_t>(*last) + 2) t->out_of_order.fetch_add(1);
    *last = static_cast<std::int64_t>(n);
    if (n + 1 >= rounds) {
      t->finished.fetch_add(1);
      return;
    }
    self->send(peer, ball_atom::value, n + 1, caf::actor_cast<caf::actor>(self));
  }};
}

// Receives numbered items from many sources; each source's numbers must
// arrive in the order sent.
caf::behavior sink(caf::event_based_actor*, std::shared_ptr<tally> t, unsigned sources) {
  auto next = std::make_shared<std::vector<std::uint64_t>>(sources, 0);
  return {[=](item_atom, unsigned source, std::uint64_t n) {
    t->received.fetch_add(1);
    if (source >= next->size() || (*next)[source] != n) t->out_of_order.fetch_add(1);
    if (source < next->size()) (*next)[source] = n + 1;
  }};
}

// Sends `count` items to the sink in bursts, queueing itself a message
// between bursts so that it runs as a job of the scheduler, not of main.
caf::behavior source(caf::event_based_actor* self, std::shared_ptr<tally> t, caf::actor to, unsigned id,
                     std::uint64_t count) {
  auto sent = std::make_shared<std::uint64_t>(0);
  return {[=](more_atom) {
    for (int i = 0; i < 50 && *sent < count; ++i) self->send(to, item_atom::value, id, (*sent)++);
    if (*sent < count) self->send(self, more_atom::value);
    else t->finished.fetch_add(1);
  }};
}

bool wait_until(const std::function<bool()>& done, std::chrono::seconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

}  // namespace

TEST_CASE("job queue: first in, first out, and a thief takes the newer half", "[scheduler]") {
  std::vector<fake_job> jobs(5);
  job_queue q, thief;
  CHECK(q.pop() == nullptr);
  for (auto& j : jobs) q.push(&j);
  CHECK(q.size() == 5);
  CHECK(q.steal_half(thief, 6) == 0);  // fewer than asked for: nothing moves
  CHECK(q.steal_half(thief) == 3);     // half, rounded up, from the back
  CHECK(q.size() == 2);
  CHECK(thief.size() == 3);
  CHECK(q.pop() == &jobs[0]);
  CHECK(q.pop() == &jobs[1]);
  CHECK(q.pop() == nullptr);
  CHECK(thief.pop() == &jobs[2]);
  CHECK(thief.pop() == &jobs[3]);
  CHECK(thief.pop() == &jobs[4]);
  CHECK(thief.size() == 0);
}

TEST_CASE("actors on the I/O threads: every message once and in order, with loops busy enough to be helped",
          "[scheduler]") {
  for (unsigned threads : {1u, 2u, 3u, 4u}) {
    INFO(threads << " threads");
    constexpr unsigned pairs = 200;
    constexpr std::uint64_t rounds = 2000;
    constexpr unsigned sources = 8;
    constexpr std::uint64_t items = 20000;
    auto balls = std::make_shared<tally>();
    auto stream = std::make_shared<tally>();
    {
      caf::actor_system_config cfg;
      relay::net::run_actors_on_io_threads(cfg, threads);
      caf::actor_system sys{cfg};
      REQUIRE(relay::net::io_scheduler::of(sys) != nullptr);
      for (unsigned i = 0; i < pairs; ++i) {
        auto a = sys.spawn(player, balls, rounds);
        auto b = sys.spawn(player, balls, rounds);
        caf::anon_send(a, ball_atom::value, std::uint64_t{0}, b);
      }
      auto to = sys.spawn(sink, stream, sources);
      for (unsigned s = 0; s < sources; ++s) caf::anon_send(sys.spawn(source, stream, to, s, items), more_atom::value);
      CHECK(wait_until([&] { return balls->finished.load() == pairs && stream->received.load() == sources * items; },
                       std::chrono::seconds(60)));
    }
    CHECK(balls->received.load() == pairs * rounds);
    CHECK(balls->out_of_order.load() == 0);
    CHECK(stream->finished.load() == sources);
    CHECK(stream->received.load() == sources * items);
    CHECK(stream->out_of_order.load() == 0);
  }
}

TEST_CASE("actors on the I/O threads: a system destroyed while its actors are busy ends", "[scheduler]") {
  // Pairs that would play for minutes; ~actor_system must stop them and
  // return (the test's timeout catches a hang; the ASan build any leak).
  for (unsigned threads : {1u, 2u, 4u}) {
    INFO(threads << " threads");
    auto balls = std::make_shared<tally>();
    auto begun = std::chrono::steady_clock::now();
    {
      caf::actor_system_config cfg;
      relay::net::run_actors_on_io_threads(cfg, threads);
      caf::actor_system sys{cfg};
      std::vector<caf::actor> players;
      for (unsigned i = 0; i < 64; ++i) {
        auto a = sys.spawn(player, balls, std::uint64_t{1} << 40);
        auto b = sys.spawn(player, balls, std::uint64_t{1} << 40);
        caf::anon_send(a, ball_atom::value, std::uint64_t{0}, b);
        players.push_back(a);
        players.push_back(b);
      }
      CHECK(wait_until([&] { return balls->received.load() > 10000; }, std::chrono::seconds(30)));
      for (auto& p : players) caf::anon_send_exit(p, caf::exit_reason::user_shutdown);
    }
    CHECK(std::chrono::steady_clock::now() - begun < std::chrono::seconds(30));
    CHECK(balls->out_of_order.load() == 0);
  }
}
