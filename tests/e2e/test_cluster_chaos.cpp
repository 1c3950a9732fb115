// Chaos soak of a 3-node cluster of real relay processes on loopback.
// Clients spread over the nodes each send steadily to the next client, which
// is always on another node; every fault period one node in turn is faulted:
// killed with SIGKILL and restarted, stopped with SIGTERM and restarted, or
// frozen with SIGSTOP past --cluster-timeout and resumed (a partition that
// heals). A message to or from a client of the faulted node sent inside the
// fault window (from the fault until every client of that node is reachable
// both ways again) may be lost; every other loss, every duplicate and every
// reordering fails the test. One line per fault reports the losses in each
// class, the time until the node's clients were reachable again and the RSS
// of each node.
//
// The CTest test runs 3 faults (60 s); bench/cluster-chaos runs the same code
// for longer through RELAY_CHAOS_FAULTS, RELAY_CHAOS_CLIENTS and
// RELAY_CHAOS_RATE.
#include <signal.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

#include "cluster_helpers.hpp"
#include "helpers.hpp"

using namespace relay;
using namespace relay::test;

namespace {

using chaos_clock = std::chrono::steady_clock;
using time_point = chaos_clock::time_point;

constexpr int node_count = 3;
constexpr auto fault_period = 20s;
// A frozen node stays frozen this long: well past --cluster-timeout, so its
// peers declare it lost and purge its routes before it comes back.
constexpr auto cluster_timeout_seconds = "1";
constexpr auto freeze_for = 3s;
// A message sent this shortly before a fault may still be inside the node
// that is faulted (on its way through) and counts as sent in the window.
constexpr auto in_flight_grace = 250ms;
// Every client of a faulted node must be reachable both ways again this long
// after the node is back, or the fault counts as not recovered.
constexpr auto recovery_bound = 15s;
// After the last fault, sending stops and arrivals get this long.
constexpr auto final_drain = 3s;
constexpr std::size_t payload_size = 64;

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::atoi(v) : fallback;
}

enum class fault_kind { kill, term, stop };

const char* to_string(fault_kind k) {
  switch (k) {
    case fault_kind::kill: return "SIGKILL";
    case fault_kind::term: return "SIGTERM";
    case fault_kind::stop: return "SIGSTOP";
  }
  return "?";
}

// One node slot: the current process (replaced on restart).
struct node_slot {
  std::unique_ptr<relay_process> proc;
  std::string cluster_addr;
  bool frozen = false;
};

struct fault_record {
  int node = 0;
  fault_kind kind = fault_kind::kill;
  time_point start;                       // the signal
  time_point back;                        // restarted / resumed
  std::optional<time_point> recovered;    // every client reachable both ways
  std::array<long, node_count> rss_kib{}; // each node's RSS once recovered
  // Losses of messages sent in this fault's period, by class.
  long lost_from_faulted = 0, lost_to_faulted = 0, lost_other = 0;
  long sent = 0;

  // May a message between clients homed on `a` and `b`, sent at `t`, be lost?
  bool excuses(int a, int b, time_point t) const {
    if (a != node && b != node) return false;
    auto end = recovered ? *recovered : time_point::max();
    return t + in_flight_grace >= start && t <= end;
  }
};

protocol::identity_key_pair chaos_key(int n) {
  std::array<std::uint8_t, 32> seed{};
  seed.fill(0x3c);
  seed[0] = 0xC4;  // clear of test_key() and the conformance seeds
  seed[1] = static_cast<std::uint8_t>(n & 0xff);
  seed[2] = static_cast<std::uint8_t>(n >> 8);
  return protocol::identity_key_pair::from_seed(protocol::key_algorithm::ed25519, seed);
}

struct chaos_client {
  explicit chaos_client(int i) : index(i), home(i % node_count), key(chaos_key(i)) {}
  int index;
  int home;
  protocol::identity_key_pair key;
  std::unique_ptr<connection> conn;  // null while disconnected
  time_point next_send;
  time_point retry_at;
  // Sending side: the send time of each sequence number.
  std::vector<time_point> sent_at;
  // Receiving side (from the previous client): which sequence numbers came.
  std::vector<bool> got;
  std::uint64_t highest = 0;
  bool any = false;
  time_point last_inbound_sent;   // send time of the newest message received
  time_point last_outbound_seen;  // send time of the newest message of ours the next client received
};

protocol::byte_vector chaos_payload(int sender, std::uint64_t seq) {
  protocol::byte_vector p(payload_size, 0x5a);
  std::memcpy(p.data(), &sender, sizeof sender);
  std::memcpy(p.data() + sizeof sender, &seq, sizeof seq);
  return p;
}

class chaos_run {
 public:
  chaos_run(int clients, double rate) : rate_(rate) {
    for (int i = 0; i < node_count; ++i) start_node(i);
    for (int i = 0; i < clients; ++i) clients_.emplace_back(i);
    // With a client count that is a multiple of the node count, client i's
    // destination i+1 is always on another node.
    REQUIRE(clients % node_count == 0);
    for (auto& c : clients_) connect(c, chaos_clock::now());
  }

  ~chaos_run() {
    std::lock_guard lock{nodes_mutex_};
    for (auto& n : nodes_)
      if (n.frozen && n.proc) n.proc->signal(SIGCONT);
  }

  // Steady traffic until every client has received at least once: the
  // cluster has formed and every route works. Losses before count for nothing.
  void warm_up() {
    auto deadline = chaos_clock::now() + 30s;
    while (chaos_clock::now() < deadline) {
      step(chaos_clock::now());
      bool all = true;
      for (auto& c : clients_) all = all && c.any;
      if (all) break;
      std::this_thread::sleep_for(2ms);
    }
    for (auto& c : clients_) REQUIRE(c.any);
    measure_from_ = chaos_clock::now();
  }

  void run_faults(int faults) {
    for (int k = 0; k < faults; ++k) {
      auto period_start = chaos_clock::now();
      fault_record f;
      f.node = k % node_count;
      f.kind = static_cast<fault_kind>((k / node_count + k) % 3);
      inject(f);
      faults_.push_back(f);
      auto& rec = faults_.back();
      while (chaos_clock::now() < period_start + fault_period) {
        auto now = chaos_clock::now();
        step(now);
        if (!rec.recovered && node_reachable_since(rec.node, rec.back)) {
          rec.recovered = now;
          std::lock_guard lock{nodes_mutex_};
          for (int i = 0; i < node_count; ++i) rec.rss_kib[i] = nodes_[i].proc ? nodes_[i].proc->rss_kib() : 0;
        }
        if (!rec.recovered && now > rec.back + recovery_bound) break;
        std::this_thread::sleep_for(2ms);
      }
      if (!rec.recovered) break;  // the report below shows which
    }
    sending_ = false;
    auto until = chaos_clock::now() + final_drain;
    while (chaos_clock::now() < until) {
      step(chaos_clock::now());
      std::this_thread::sleep_for(2ms);
    }
  }

  // Classifies every message sent after the warm-up; prints the table;
  // returns the failures (losses outside every window, duplicates, reorders,
  // unrecovered faults, misrouted messages).
  long report() {
    long other_outside_faults = 0, sent_total = 0;
    for (auto& src : clients_) {
      auto& dst = clients_[(src.index + 1) % clients_.size()];
      for (std::uint64_t seq = 0; seq < src.sent_at.size(); ++seq) {
        auto t = src.sent_at[seq];
        if (t < measure_from_) continue;
        ++sent_total;
        auto* period = period_of(t);
        if (period != nullptr) ++period->sent;
        if (seq < dst.got.size() && dst.got[seq]) continue;
        fault_record* excused = nullptr;
        for (auto& f : faults_)
          if (f.excuses(src.home, dst.home, t)) excused = &f;
        auto* bucket = period != nullptr ? period : excused;
        if (excused == nullptr) {
          if (period != nullptr) ++period->lost_other;
          else ++other_outside_faults;
        } else if (excused->node == src.home) {
          ++bucket->lost_from_faulted;
        } else {
          ++bucket->lost_to_faulted;
        }
      }
    }
    std::printf("cluster chaos: %d nodes, %zu clients, %.1f msg/s each, %zu faults, %ld messages measured\n",
                node_count, clients_.size(), rate_, faults_.size(), sent_total);
    std::printf("%-5s %-4s %-7s %9s %11s %9s %9s %8s %8s %8s %8s\n", "fault", "node", "signal", "sent",
                "recover_ms", "lost_from", "lost_to", "lost_bad", "rss0_kib", "rss1_kib", "rss2_kib");
    long failures = duplicates_ + reorders_ + misrouted_ + other_outside_faults;
    for (std::size_t k = 0; k < faults_.size(); ++k) {
      auto& f = faults_[k];
      long ms = f.recovered
                    ? std::chrono::duration_cast<std::chrono::milliseconds>(*f.recovered - f.start).count()
                    : -1;
      std::printf("%-5zu %-4d %-7s %9ld %11ld %9ld %9ld %8ld %8ld %8ld %8ld\n", k, f.node, to_string(f.kind), f.sent,
                  ms, f.lost_from_faulted, f.lost_to_faulted, f.lost_other, f.rss_kib[0], f.rss_kib[1],
                  f.rss_kib[2]);
      failures += f.lost_other + (f.recovered ? 0 : 1);
    }
    std::printf("duplicates %ld, reordered %ld, misrouted %ld, lost outside any fault period %ld\n", duplicates_,
                reorders_, misrouted_, other_outside_faults);
    std::fflush(stdout);
    return failures;
  }

 private:
  // The flags of node i: its peers are the other nodes as they are now.
  std::vector<std::string> node_args(int i) {
    std::vector<std::string> args{"--cluster-listen", "127.0.0.1:0", "--cluster-timeout", cluster_timeout_seconds,
                                  "--log-level", "warn"};
    std::lock_guard lock{nodes_mutex_};
    for (int j = 0; j < node_count; ++j)
      if (j != i && nodes_[j].proc && !nodes_[j].frozen) {
        args.push_back("--peer");
        args.push_back(nodes_[j].cluster_addr);
      }
    return args;
  }

  void start_node(int i) {
    auto proc = std::make_unique<relay_process>(node_args(i));
    auto addr = cluster_address(*proc);
    std::lock_guard lock{nodes_mutex_};
    nodes_[i].proc = std::move(proc);
    nodes_[i].cluster_addr = addr;
    nodes_[i].frozen = false;
  }

  // Traffic keeps flowing (and the other nodes' clients keep sending to the
  // faulted node's) while the node is down, restarting or frozen.
  void inject(fault_record& f) {
    f.start = chaos_clock::now();
    switch (f.kind) {
      case fault_kind::kill:
      case fault_kind::term: {
        std::unique_ptr<relay_process> old;
        {
          std::lock_guard lock{nodes_mutex_};
          old = std::move(nodes_[f.node].proc);
        }
        auto args = node_args(f.node);
        std::atomic<bool> done{false};
        std::string failure;
        std::thread restarter([&] {
          try {
            old->signal(f.kind == fault_kind::kill ? SIGKILL : SIGTERM);
            if (!old->wait_exit(10s)) failure = "the faulted node did not exit";
            old.reset();
            auto fresh = std::make_unique<relay_process>(args);
            auto addr = cluster_address(*fresh);
            std::lock_guard lock{nodes_mutex_};
            nodes_[f.node].proc = std::move(fresh);
            nodes_[f.node].cluster_addr = addr;
          } catch (const std::exception& e) {
            failure = std::string("restart failed: ") + e.what();
          } catch (...) {
            failure = "restart failed";
          }
          done = true;
        });
        while (!done) {
          step(chaos_clock::now());
          std::this_thread::sleep_for(2ms);
        }
        restarter.join();
        INFO(failure);
        REQUIRE(failure.empty());
        break;
      }
      case fault_kind::stop: {
        auto& n = nodes_[f.node];
        n.proc->signal(SIGSTOP);
        {
          std::lock_guard lock{nodes_mutex_};
          n.frozen = true;
        }
        auto until = chaos_clock::now() + freeze_for;
        while (chaos_clock::now() < until) {
          step(chaos_clock::now());
          std::this_thread::sleep_for(2ms);
        }
        n.proc->signal(SIGCONT);
        std::lock_guard lock{nodes_mutex_};
        n.frozen = false;
        break;
      }
    }
    f.back = chaos_clock::now();
  }

  // Every client of `node` received a message sent after `since`, and its
  // destination received one of its messages sent after `since`.
  bool node_reachable_since(int node, time_point since) const {
    for (auto& c : clients_)
      if (c.home == node && (!c.conn || c.last_inbound_sent < since || c.last_outbound_seen < since)) return false;
    return true;
  }

  fault_record* period_of(time_point t) {
    fault_record* found = nullptr;
    for (auto& f : faults_)
      if (f.start <= t + in_flight_grace) found = &f;
    return found;
  }

  void connect(chaos_client& c, time_point now) {
    std::string url;
    {
      std::lock_guard lock{nodes_mutex_};
      auto& n = nodes_[c.home];
      if (!n.proc || n.frozen) return;
      url = n.proc->url();
    }
    try {
      auto conn = connection::open(url, 3s);
      conn->authenticate(c.key);
      c.conn = std::move(conn);
      // Staggered: each client sends at its own phase of the period, so a
      // short fault window always catches some messages in flight.
      auto period = std::chrono::duration<double>(1.0 / rate_);
      c.next_send = now + std::chrono::duration_cast<chaos_clock::duration>(period * c.index / clients_.size());
    } catch (const std::exception&) {
      c.retry_at = now + 100ms;  // down, restarting or still joining
    }
  }

  void step(time_point now) {
    auto period = std::chrono::duration_cast<chaos_clock::duration>(std::chrono::duration<double>(1.0 / rate_));
    for (auto& c : clients_) {
      if (!c.conn) {
        if (now >= c.retry_at) connect(c, now);
        continue;
      }
      try {
        while (auto msg = c.conn->receive(0ms))
          if (auto* s = std::get_if<protocol::send>(&*msg)) on_arrival(c, *s);
      } catch (const client::closed_error&) {
        c.conn.reset();
        c.retry_at = now;
        continue;
      }
      if (sending_ && now >= c.next_send) {
        auto& dst = clients_[(c.index + 1) % clients_.size()];
        c.conn->send_to(dst.key.fp(), chaos_payload(c.index, c.sent_at.size()));
        c.sent_at.push_back(now);
        // Steady, not bursty: after a stall (a restart in this thread) the
        // schedule restarts from now instead of catching up.
        c.next_send = std::max(c.next_send + period, now);
      }
    }
  }

  void on_arrival(chaos_client& dst, const protocol::send& s) {
    auto& src = clients_[(dst.index + clients_.size() - 1) % clients_.size()];
    int sender = -1;
    std::uint64_t seq = 0;
    if (s.payload.size() == payload_size) {
      std::memcpy(&sender, s.payload.data(), sizeof sender);
      std::memcpy(&seq, s.payload.data() + sizeof sender, sizeof seq);
    }
    if (sender != src.index || !s.source || *s.source != src.key.fp() || seq >= src.sent_at.size()) {
      ++misrouted_;
      return;
    }
    if (dst.got.size() <= seq) dst.got.resize(seq + 1, false);
    auto t = src.sent_at[seq];
    if (dst.got[seq]) {
      if (t >= measure_from_) ++duplicates_;
      return;
    }
    dst.got[seq] = true;
    if (dst.any && seq < dst.highest && t >= measure_from_) ++reorders_;
    if (!dst.any || seq > dst.highest) dst.highest = seq;
    dst.any = true;
    dst.last_inbound_sent = std::max(dst.last_inbound_sent, t);
    src.last_outbound_seen = std::max(src.last_outbound_seen, t);
  }

  double rate_;
  // The driver thread reads the slots (to reconnect); a restart replaces one
  // from another thread.
  std::mutex nodes_mutex_;
  std::array<node_slot, node_count> nodes_;
  std::vector<chaos_client> clients_;
  std::vector<fault_record> faults_;
  time_point measure_from_ = time_point::max();
  bool sending_ = true;
  long duplicates_ = 0, reorders_ = 0, misrouted_ = 0;
};

}  // namespace

TEST_CASE("cluster chaos: kill, stop and freeze nodes in turn, and nothing is lost outside the faulted node's window",
          "[e2e][cluster][chaos]") {
  int faults = env_int("RELAY_CHAOS_FAULTS", 3);
  int clients = env_int("RELAY_CHAOS_CLIENTS", 60);
  double rate = env_int("RELAY_CHAOS_RATE", 5);
  chaos_run run(clients, rate);
  run.warm_up();
  run.run_faults(faults);
  CHECK(run.report() == 0);
}
