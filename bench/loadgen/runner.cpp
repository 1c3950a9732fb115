#include "runner.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <stdexcept>
#include <thread>

#include "connection.hpp"
#include "payload.hpp"
#include "proc_stats.hpp"
#include "topology.hpp"
#include "worker.hpp"

namespace relay::bench {

namespace {

using clock = std::chrono::steady_clock;
using workers_t = std::vector<std::unique_ptr<worker>>;

std::vector<boost::asio::ip::tcp::endpoint> resolve(const options& o) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::resolver resolver(io);
  std::vector<boost::asio::ip::tcp::endpoint> out;
  for (const auto& s : o.servers) {
    boost::system::error_code ec;
    auto results = resolver.resolve(s.host, s.port, ec);
    if (ec || results.empty()) throw std::runtime_error("cannot resolve " + s.host + ":" + s.port);
    out.push_back(results.begin()->endpoint());
  }
  return out;
}

template <class F>
std::uint64_t sum(const workers_t& ws, F field) {
  std::uint64_t total = 0;
  for (const auto& w : ws) total += field(w->stats);
  return total;
}

/// Polls `done` every millisecond until it holds or `limit` seconds passed.
template <class F>
bool wait_until(F done, double limit) {
  const auto deadline = clock::now() + std::chrono::duration<double>(limit);
  while (!done()) {
    if (clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

void sleep_seconds(double s) { std::this_thread::sleep_for(std::chrono::duration<double>(s)); }

void collect_errors(report& r, const workers_t& ws) {
  auto add = [&](const char* name, auto field) {
    r.error_detail.emplace_back(name, sum(ws, [&](const thread_stats& s) { return field(s.errors).get(); }));
  };
  add("connect", [](const error_counters& e) -> const counter& { return e.connect; });
  add("upgrade", [](const error_counters& e) -> const counter& { return e.upgrade; });
  add("auth", [](const error_counters& e) -> const counter& { return e.auth; });
  add("disconnected", [](const error_counters& e) -> const counter& { return e.disconnected; });
  add("protocol", [](const error_counters& e) -> const counter& { return e.protocol; });
  add("decode", [](const error_counters& e) -> const counter& { return e.decode; });
  add("unexpected", [](const error_counters& e) -> const counter& { return e.unexpected; });
  add("wrong_source", [](const error_counters& e) -> const counter& { return e.wrong_source; });
  add("wrong_sender", [](const error_counters& e) -> const counter& { return e.wrong_sender; });
  add("out_of_order", [](const error_counters& e) -> const counter& { return e.out_of_order; });
  add("overrun", [](const error_counters& e) -> const counter& { return e.overrun; });
  r.errors = sum(ws, [](const thread_stats& s) { return s.errors.total(); });
}

/// --progress: a thread that prints `line()` on stderr every `every` seconds
/// until it is destroyed. The line reads only atomics.
class progress_printer {
 public:
  progress_printer(double every, std::function<std::string()> line) {
    if (every <= 0) return;
    thread_ = std::thread([this, every, line = std::move(line)] {
      const auto period = std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(every));
      auto next = clock::now() + period;
      std::unique_lock lock(mutex_);
      while (!cv_.wait_until(lock, next, [this] { return stop_; })) {
        std::fprintf(stderr, "%s\n", line().c_str());
        next += period;
      }
    });
  }
  ~progress_printer() {
    if (!thread_.joinable()) return;
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  progress_printer(const progress_printer&) = delete;
  progress_printer& operator=(const progress_printer&) = delete;

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace

report run(const options& opt) {
  report r;
  r.opt = &opt;
  r.connections = opt.connections;
  r.threads = opt.threads;
  r.relay_pid = opt.relay_pid;
  r.scenario = opt.auth_only ? "auth-only" : opt.idle ? "idle" : "traffic";

  const std::uint64_t fd_limit = raise_open_files_limit();
  if (fd_limit < opt.connections + 64) {
    std::fprintf(stderr, "loadgen: warning: open-files limit %llu is below %u connections\n",
                 static_cast<unsigned long long>(fd_limit), opt.connections);
  }
  if (opt.connections >= max_connections) throw std::runtime_error("too many connections");

  // Keys first: nothing below is timed until every identity exists.
  const topology topo = build_topology(opt);
  const auto endpoints = resolve(opt);
  phase_flags flags;
  std::vector<connection*> directory(opt.connections, nullptr);
  workers_t workers;
  for (std::uint32_t t = 0; t < opt.threads; ++t) {
    workers.push_back(std::make_unique<worker>(opt, topo, flags, endpoints, directory));
  }
  for (std::uint32_t i = 0; i < opt.connections; ++i) workers[topo.conns[i].group % opt.threads]->adopt(i);

  const proc_sample relay_before = sample_process(opt.relay_pid);
  r.relay_rss_before_kib = relay_before.rss_kib;

  auto ready = [&] { return sum(workers, [](const thread_stats& s) { return s.ready.get(); }); };
  auto failed = [&] { return sum(workers, [](const thread_stats& s) { return s.failed.get(); }); };
  auto received = [&] { return sum(workers, [](const thread_stats& s) { return s.received.get(); }); };
  auto sent = [&] { return sum(workers, [](const thread_stats& s) { return s.sent.get(); }); };
  std::atomic<const char*> phase{"connecting"};
  const auto run_start = clock::now();
  std::optional<progress_printer> progress;
  progress.emplace(opt.progress, [&] {
    char line[256];
    std::snprintf(line, sizeof line, "progress t=%.1f phase=%s connected=%llu failed=%llu sent=%llu received=%llu errors=%llu",
                  std::chrono::duration<double>(clock::now() - run_start).count(), phase.load(),
                  static_cast<unsigned long long>(ready()), static_cast<unsigned long long>(failed()),
                  static_cast<unsigned long long>(sent()), static_cast<unsigned long long>(received()),
                  static_cast<unsigned long long>(sum(workers, [](const thread_stats& s) { return s.errors.total(); })));
    return std::string(line);
  });

  // Phase 1: connect and authenticate everything.
  const std::uint64_t connect_start = now_ns();
  for (auto& w : workers) w->start();
  for (auto& w : workers) w->begin_connecting();
  wait_until([&] { return ready() + failed() >= opt.connections; }, opt.connect_timeout);
  r.connected = ready();
  std::uint64_t last_ready = 0;
  for (auto& w : workers) last_ready = std::max(last_ready, w->stats.last_ready_ns.load());
  if (r.connected > 0 && last_ready > connect_start) {
    r.handshake_seconds = static_cast<double>(last_ready - connect_start) / 1e9;
    r.handshakes_per_s = static_cast<double>(r.connected) / r.handshake_seconds;
  }

  proc_sample relay_start, relay_end;
  double own_start = 0, own_end = 0;
  const auto window_start = clock::now();
  if (opt.idle) {
    // Phase 2 (idle): let the relay settle, then read its memory.
    phase.store("idle");
    own_start = own_cpu_seconds();
    relay_start = sample_process(opt.relay_pid);
    sleep_seconds(opt.duration);
    relay_end = sample_process(opt.relay_pid);
    own_end = own_cpu_seconds();
  } else if (!opt.auth_only) {
    // Phase 2: traffic, warm-up, measured window, drain.
    phase.store("traffic");
    flags.traffic.store(true);
    for (auto& w : workers) w->begin_traffic();
    sleep_seconds(opt.warmup);
    const std::uint64_t sent0 = sent(), received0 = received();
    own_start = own_cpu_seconds();
    relay_start = sample_process(opt.relay_pid);
    const auto t0 = clock::now();
    flags.measure_start_ns.store(now_ns());
    sleep_seconds(opt.duration);
    flags.measure_end_ns.store(now_ns());
    const auto t1 = clock::now();
    const std::uint64_t sent1 = sent(), received1 = received();
    relay_end = sample_process(opt.relay_pid);
    own_end = own_cpu_seconds();
    flags.traffic.store(false);
    r.measured_seconds = std::chrono::duration<double>(t1 - t0).count();
    r.messages_per_s = static_cast<double>(received1 - received0) / r.measured_seconds;
    r.sends_per_s = static_cast<double>(sent1 - sent0) / r.measured_seconds;
    r.mb_per_s = r.messages_per_s * opt.payload / 1e6;
    if (relay_start.ok && relay_end.ok) {
      const double cpu = relay_end.cpu_seconds - relay_start.cpu_seconds;
      if (sent1 > sent0) r.relay_cpu_us_per_send = cpu * 1e6 / static_cast<double>(sent1 - sent0);
      if (received1 > received0) r.relay_cpu_us_per_delivery = cpu * 1e6 / static_cast<double>(received1 - received0);
    }
    // Drain: every message sent must arrive (per device in fan-out).
    // The writes already queued finish on their own; the wait is bounded.
    phase.store("draining");
    sleep_seconds(0.05);
    const std::uint64_t k = opt.deliveries_per_send();
    wait_until([&] { return received() >= sent() * k; }, opt.drain_timeout);
    r.sent = sent();
    r.received = received();
    r.expected = r.sent * k;
    r.lost = r.expected > r.received ? r.expected - r.received : 0;
  }
  if (opt.auth_only) {
    own_start = 0;
    own_end = own_cpu_seconds();
    relay_start = relay_before;
    relay_end = sample_process(opt.relay_pid);
  }
  const double window = opt.auth_only ? r.handshake_seconds
                        : opt.idle    ? std::chrono::duration<double>(clock::now() - window_start).count()
                                      : r.measured_seconds;
  if (relay_start.ok && relay_end.ok) {
    r.relay_sampled = true;
    r.relay_cpu_seconds = relay_end.cpu_seconds - relay_start.cpu_seconds;
    if (window > 0) r.relay_cpu_percent = 100 * r.relay_cpu_seconds / window;
    r.relay_rss_kib = relay_end.rss_kib;
    if (opt.idle && r.connected > 0 && relay_end.rss_kib >= relay_before.rss_kib) {
      r.relay_rss_per_connection_bytes =
          static_cast<double>(relay_end.rss_kib - relay_before.rss_kib) * 1024.0 / static_cast<double>(r.connected);
    }
  }
  if (window > 0 && !opt.auth_only) r.loadgen_cpu_percent = 100 * (own_end - own_start) / window;

  // Phase 3: close everything (bounded), then stop the io threads.
  phase.store("closing");
  flags.closing.store(true);
  for (auto& w : workers) w->begin_closing();
  auto closed = [&] { return sum(workers, [](const thread_stats& s) { return s.closed.get(); }); };
  wait_until([&] { return closed() + failed() >= opt.connections; }, 3.0);
  progress.reset();  // reads the workers' counters: stop it before they go
  for (auto& w : workers) w->stop();
  for (auto& w : workers) w->join();

  collect_errors(r, workers);
  latency_histogram all;
  for (const auto& w : workers) all.merge(w->stats.latency);
  r.latency_count = all.count();
  r.p50_us = static_cast<double>(all.quantile(0.50)) / 1e3;
  r.p90_us = static_cast<double>(all.quantile(0.90)) / 1e3;
  r.p99_us = static_cast<double>(all.quantile(0.99)) / 1e3;
  r.max_us = static_cast<double>(all.max()) / 1e3;
  // A connection that never authenticated is an error even if it left no other trace.
  if (r.connected < opt.connections && r.errors == 0) {
    r.error_detail.emplace_back("not_ready", opt.connections - r.connected);
    r.errors = opt.connections - r.connected;
  }
  return r;
}

}  // namespace relay::bench
