// The outbox without sockets: what the connection actor's thread queues and
// what the session's strand takes out, the slow-consumer close, the close
// after queued frames, inbound credit and the metrics gauge; then many
// senders against one drainer on real threads.
#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "outbox.hpp"

using relay::make_frame;
using relay::relay_stats;
using relay::shared_frame;
using relay::wire_format;
using relay::net::outbox;

namespace {

// Records every wake-up the outbox asks for.
struct wakes {
  std::vector<unsigned> seen;
  outbox::waker waker() {
    return [this](unsigned work) { seen.push_back(work); };
  }
};

constexpr outbox::limits roomy{1 << 20, 8, 1 << 20};

std::string text_of(const outbox::write_step& step) { return step.frame ? *step.frame : std::string{"<none>"}; }

}  // namespace

TEST_CASE("outbox: frames leave in order, one wake-up per idle-to-busy change", "[outbox]") {
  wakes w;
  auto stats = std::make_shared<relay_stats>();
  outbox box{wire_format::json, "127.0.0.1:1", roomy, stats, w.waker()};

  box.send(make_frame("a"));
  box.send(make_frame("bb"));
  REQUIRE(w.seen == std::vector<unsigned>{outbox::write});  // the second frame only queued
  CHECK(stats->outbound_queued_bytes.load() == 3);

  auto first = box.next_write();
  CHECK(text_of(first) == "a");
  box.send(make_frame("ccc"));  // while writing: no wake-up
  box.write_done();
  CHECK(stats->outbound_queued_bytes.load() == 5);
  CHECK(text_of(box.next_write()) == "bb");
  box.write_done();
  CHECK(text_of(box.next_write()) == "ccc");
  box.write_done();
  auto idle = box.next_write();
  CHECK_FALSE(idle.frame);
  CHECK_FALSE(idle.close);
  CHECK(stats->outbound_queued_bytes.load() == 0);
  CHECK(w.seen.size() == 1);

  box.send(make_frame("d"));  // idle again: the next frame wakes the session
  CHECK(w.seen == std::vector<unsigned>{outbox::write, outbox::write});
}

TEST_CASE("outbox: a consumer over its bound is closed with 1008 and its queue dropped", "[outbox]") {
  wakes w;
  auto stats = std::make_shared<relay_stats>();
  outbox box{wire_format::json, "127.0.0.1:2", {100, 8, 1 << 20}, stats, w.waker()};

  box.send(make_frame(std::string(60, 'x')));
  auto writing = box.next_write();  // 60 bytes in flight
  box.send(make_frame(std::string(30, 'y')));
  CHECK(stats->slow_consumer_closes.load() == 0);
  box.send(make_frame(std::string(30, 'z')));  // 60 + 30 + 30 > 100
  CHECK(stats->slow_consumer_closes.load() == 1);
  // The writer was busy: only the grace timer is asked for.
  REQUIRE(w.seen == std::vector<unsigned>{outbox::write, outbox::arm_close});
  CHECK(stats->outbound_queued_bytes.load() == 60);  // only the frame being written is left

  box.write_done();
  auto next = box.next_write();
  CHECK_FALSE(next.frame);  // the 30-byte frame was dropped
  REQUIRE(next.close);
  CHECK(next.close->code == relay::close_code::policy_violation);
  CHECK(next.close->reason == "slow consumer");
  CHECK(stats->outbound_queued_bytes.load() == 0);

  box.send(make_frame("late"));  // nothing is queued after the close
  CHECK(w.seen.size() == 2);
  CHECK(stats->outbound_queued_bytes.load() == 0);
}

TEST_CASE("outbox: one frame larger than the bound still goes out when nothing is queued", "[outbox]") {
  wakes w;
  auto stats = std::make_shared<relay_stats>();
  outbox box{wire_format::binary, "127.0.0.1:3", {100, 8, 1 << 20}, stats, w.waker()};
  CHECK(box.format() == wire_format::binary);

  box.send(make_frame(std::string(500, 'x')));
  CHECK(stats->slow_consumer_closes.load() == 0);
  CHECK(text_of(box.next_write()).size() == 500);
  box.write_done();
  box.send(make_frame(std::string(1, 'y')));  // on top of that frame: over the bound
  CHECK(stats->slow_consumer_closes.load() == 0);
  box.send(make_frame(std::string(100, 'z')));
  CHECK(stats->slow_consumer_closes.load() == 1);
}

TEST_CASE("outbox: a close goes out after the frames already queued, once", "[outbox]") {
  wakes w;
  outbox box{wire_format::json, "127.0.0.1:4", roomy, nullptr, w.waker()};

  box.send(make_frame("one"));
  box.send(make_frame("two"));
  box.close(relay::close_code::going_away, "server shutting down");
  box.close(relay::close_code::normal, "again");  // idempotent: the first close stands
  REQUIRE(w.seen == std::vector<unsigned>{outbox::write, outbox::arm_close});

  CHECK(text_of(box.next_write()) == "one");
  box.write_done();
  CHECK(text_of(box.next_write()) == "two");
  box.write_done();
  auto last = box.next_write();
  REQUIRE(last.close);
  CHECK(last.close->code == relay::close_code::going_away);
  CHECK(last.close->reason == "server shutting down");
  box.send(make_frame("three"));
  CHECK_FALSE(box.next_write().frame);
}

TEST_CASE("outbox: a close on an idle connection wakes the writer and the grace timer together", "[outbox]") {
  wakes w;
  outbox box{wire_format::json, "127.0.0.1:5", roomy, nullptr, w.waker()};
  box.close(relay::close_code::policy_violation, "authentication failed");
  REQUIRE(w.seen == std::vector<unsigned>{outbox::arm_close | outbox::write});
  auto step = box.next_write();
  REQUIRE(step.close);
  CHECK(step.close->code == relay::close_code::policy_violation);
}

TEST_CASE("outbox: reading pauses without inbound credit and resumes once when it returns", "[outbox]") {
  wakes w;
  outbox box{wire_format::json, "127.0.0.1:6", {1 << 20, 2, 100}, nullptr, w.waker()};

  REQUIRE(box.may_read());
  box.delivered(10);
  REQUIRE(box.may_read());
  box.delivered(10);
  CHECK_FALSE(box.may_read());  // two frames held by the actor
  CHECK(w.seen.empty());
  box.frame_consumed(10);
  CHECK(w.seen == std::vector<unsigned>{outbox::resume_read});
  box.frame_consumed(10);  // reading was not paused any more: no second wake-up
  CHECK(w.seen.size() == 1);
  REQUIRE(box.may_read());

  box.delivered(150);  // one frame over the byte budget
  CHECK_FALSE(box.may_read());
  box.frame_consumed(150);
  CHECK(w.seen.size() == 2);
  CHECK(box.may_read());
}

TEST_CASE("outbox: shut drops what is queued and everything sent later", "[outbox]") {
  wakes w;
  auto stats = std::make_shared<relay_stats>();
  {
    outbox box{wire_format::json, "127.0.0.1:7", roomy, stats, w.waker()};
    box.send(make_frame("aaaa"));
    auto writing = box.next_write();
    box.send(make_frame("bbbbbbbb"));
    CHECK(stats->outbound_queued_bytes.load() == 12);
    box.shut();
    CHECK(stats->outbound_queued_bytes.load() == 4);  // the frame Beast still holds
    box.send(make_frame("c"));
    box.close(relay::close_code::normal, "bye");
    CHECK(w.seen == std::vector<unsigned>{outbox::write});
    box.write_done();
    CHECK(stats->outbound_queued_bytes.load() == 0);
    box.send(make_frame("d"));
    CHECK(stats->outbound_queued_bytes.load() == 0);
  }
  CHECK(stats->outbound_queued_bytes.load() == 0);
}

TEST_CASE("outbox: many senders, one drainer: every frame once, each sender's in order", "[outbox]") {
  constexpr int senders = 4;
  constexpr int per_sender = 20000;
  std::mutex m;
  std::condition_variable cv;
  unsigned pending_work = 0;
  auto stats = std::make_shared<relay_stats>();
  outbox box{wire_format::json, "127.0.0.1:8", {std::size_t{1} << 30, 8, 1 << 20}, stats, [&](unsigned work) {
               std::lock_guard<std::mutex> guard{m};
               pending_work |= work;
               cv.notify_one();
             }};

  std::vector<std::thread> threads;
  for (int s = 0; s < senders; ++s)
    threads.emplace_back([&box, s] {
      for (int i = 0; i < per_sender; ++i) box.send(make_frame(std::to_string(s) + ":" + std::to_string(i)));
    });

  // The drainer behaves like the strand: it writes only after a wake-up
  // and until the outbox says it is idle.
  std::vector<int> next_seq(senders, 0);
  int received = 0;
  bool in_order = true;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (received < senders * per_sender && std::chrono::steady_clock::now() < deadline) {
    {
      std::unique_lock<std::mutex> guard{m};
      if (!cv.wait_until(guard, deadline, [&] { return pending_work != 0; })) break;
      pending_work = 0;
    }
    for (auto step = box.next_write(); step.frame; step = box.next_write()) {
      auto colon = step.frame->find(':');
      int s = std::stoi(step.frame->substr(0, colon));
      int i = std::stoi(step.frame->substr(colon + 1));
      if (i != next_seq[s]) in_order = false;
      next_seq[s] = i + 1;
      ++received;
      box.write_done();
    }
  }
  for (auto& t : threads) t.join();
  CHECK(received == senders * per_sender);
  CHECK(in_order);
  CHECK(stats->outbound_queued_bytes.load() == 0);
}
