// In-process routing benchmark: the relay's connection, registry and
// rendezvous actors with in-memory transports, no sockets. P pairs of
// authenticated connections send each other 64-byte Sends closed loop (W in
// flight per sender); every Send is decoded, routed and re-encoded exactly as
// on a socket. Prints deliveries per second for one thread count, so runs
// with --threads 1 and 2 show how routing scales with cores.
//
//   routing_bench [--threads T] [--pairs P] [--window W] [--seconds S] [--workers]
//
// --workers: CAF's own worker pool instead of the relay's I/O-thread loop.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/all.hpp>

#include "relay/actors/messages.hpp"
#include "relay/actors/relay_core.hpp"
#include "relay/log.hpp"
#include "relay/net/io_threads.hpp"
#include "relay/protocol/keys.hpp"
#include "relay/protocol/wire_format.hpp"

namespace {

using namespace relay;
namespace proto = relay::protocol;
using clock_type = std::chrono::steady_clock;

struct options {
  unsigned threads = 1;
  unsigned pairs = 100;
  unsigned window = 16;
  double seconds = 5;
  bool workers = false;
};

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    auto value = [&] {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "routing_bench: %s needs a value\n", flag.c_str());
        std::exit(2);
      }
      return std::atof(argv[++i]);
    };
    if (flag == "--threads") o.threads = static_cast<unsigned>(value());
    else if (flag == "--pairs") o.pairs = static_cast<unsigned>(value());
    else if (flag == "--window") o.window = static_cast<unsigned>(value());
    else if (flag == "--seconds") o.seconds = value();
    else if (flag == "--workers") o.workers = true;
    else {
      std::fprintf(stderr, "usage: routing_bench [--threads T] [--pairs P] [--window W] [--seconds S] [--workers]\n");
      std::exit(2);
    }
  }
  if (o.threads == 0 || o.pairs == 0 || o.window == 0 || o.seconds <= 0) {
    std::fprintf(stderr, "routing_bench: values must be positive\n");
    std::exit(2);
  }
  return o;
}

// Shared by every transport of a run (read-only while traffic runs).
struct run_state {
  std::atomic<bool> traffic{false};
};

// One client connection's socket side. The relay's first frame is the
// challenge, answered with a signed AuthResponse as soon as the transport
// knows its actor. Afterwards every Send delivered here frees one window
// slot of its sender, who sends its next one to us.
class memory_transport final : public transport {
 public:
  memory_transport(run_state& run, proto::identity_key_pair key, std::string to_peer, std::string from_peer)
      : run_(run), key_(std::move(key)), to_peer_(std::move(to_peer)), from_peer_(std::move(from_peer)) {}

  // After spawn: the actor may already have sent its challenge.
  void wire(caf::actor self_actor, caf::actor peer_actor) {
    std::string challenge;
    {
      std::lock_guard<std::mutex> guard{auth_mutex_};
      self_actor_ = std::move(self_actor);
      peer_actor_ = std::move(peer_actor);
      challenge = std::move(challenge_);
    }
    if (!challenge.empty()) answer(challenge);
  }

  wire_format format() const override { return wire_format::json; }

  void send(shared_frame frame) override {
    if (!challenged_.exchange(true)) {
      std::lock_guard<std::mutex> guard{auth_mutex_};
      if (!self_actor_) {
        challenge_ = *frame;
        return;
      }
      return answer(*frame);
    }
    if (!run_.traffic.load(std::memory_order_relaxed)) return;
    // Each transport counts its own: one counter bumped by every thread
    // would measure its cache line, not the relay.
    deliveries_.store(deliveries_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    caf::anon_send(peer_actor_, frame_atom::value, inbound_frame{from_peer_, false});
  }

  void close(std::uint16_t code, std::string reason) override {
    std::fprintf(stderr, "routing_bench: the relay closed a client (%u %s)\n", code, reason.c_str());
    std::exit(1);
  }
  void frame_consumed(std::size_t) override {}
  std::string peer() const override { return "memory"; }

  std::uint64_t deliveries() const noexcept { return deliveries_.load(std::memory_order_relaxed); }

  void kick(unsigned window) {
    for (unsigned i = 0; i < window; ++i) caf::anon_send(self_actor_, frame_atom::value, inbound_frame{to_peer_, false});
  }

 private:
  void answer(const std::string& frame) {
    proto::message m;
    if (proto::decode(frame, wire_format::json, m) != proto::decode_error::none ||
        !std::holds_alternative<proto::auth_challenge>(m)) {
      std::fprintf(stderr, "routing_bench: the first frame is not a challenge\n");
      std::exit(1);
    }
    auto challenge = std::get<proto::auth_challenge>(m).value;
    auto response = proto::encode(
      proto::auth_response{proto::identity{key_.cose_key_bytes()}, key_.sign_challenge(challenge)}, wire_format::json);
    caf::anon_send(self_actor_, frame_atom::value, inbound_frame{std::move(response), false});
  }

  run_state& run_;
  proto::identity_key_pair key_;
  const std::string to_peer_;    // our Send to the peer
  const std::string from_peer_;  // the peer's Send to us (sent on its behalf when ours arrives)
  std::atomic<bool> challenged_{false};
  // Written by whichever thread delivers to this transport (one at a time:
  // the sending actor's), read by main.
  alignas(64) std::atomic<std::uint64_t> deliveries_{0};
  std::mutex auth_mutex_;
  std::string challenge_;  // held until wire()
  caf::actor self_actor_, peer_actor_;
};

std::string send_frame(const proto::fingerprint& to) {
  proto::send s;
  s.destination = to;
  s.payload.assign(64, 0x42);
  return proto::encode(proto::message{s}, wire_format::json);
}

}  // namespace

int main(int argc, char** argv) {
  auto opt = parse(argc, argv);
  log::set_level(log::level::warn);
  caf::actor_system_config cfg;
  if (opt.workers)
    cfg.set("scheduler.max-threads", static_cast<std::size_t>(opt.threads));
  else
    net::run_actors_on_io_threads(cfg, opt.threads);
  caf::actor_system sys{cfg};
  relay_config rc;
  rc.auth_timeout = std::chrono::seconds(60);
  auto core = spawn_relay_core(sys, rc);

  run_state run;
  const unsigned conns = 2 * opt.pairs;
  std::vector<proto::identity_key_pair> keys;
  for (unsigned i = 0; i < conns; ++i) {
    std::array<std::uint8_t, 32> seed{};
    std::memcpy(seed.data(), &i, sizeof i);
    keys.push_back(proto::identity_key_pair::from_seed(proto::key_algorithm::ed25519, seed));
  }
  std::vector<std::shared_ptr<memory_transport>> transports;
  for (unsigned i = 0; i < conns; ++i)
    transports.push_back(std::make_shared<memory_transport>(run, keys[i], send_frame(keys[i ^ 1].fp()),
                                                            send_frame(keys[i].fp())));
  std::vector<caf::actor> actors;
  for (unsigned i = 0; i < conns; ++i) actors.push_back(spawn_connection(sys, core, transports[i], "memory"));
  for (unsigned i = 0; i < conns; ++i) transports[i]->wire(actors[i], actors[i ^ 1]);
  auto deadline = clock_type::now() + std::chrono::seconds(30);
  while (core.stats->auth_ok.load() < conns) {
    if (clock_type::now() > deadline) {
      std::fprintf(stderr, "routing_bench: only %llu of %u connections authenticated in 30 s\n",
                   static_cast<unsigned long long>(core.stats->auth_ok.load()), conns);
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  run.traffic = true;
  for (auto& t : transports) t->kick(opt.window);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // warm-up
  auto count = [&] {
    std::uint64_t sum = 0;
    for (auto& t : transports) sum += t->deliveries();
    return sum;
  };
  auto start = clock_type::now();
  auto before = count();
  std::this_thread::sleep_for(std::chrono::duration<double>(opt.seconds));
  auto delivered = count() - before;
  std::chrono::duration<double> took = clock_type::now() - start;
  run.traffic = false;
  std::printf("{\"scheduler\": \"%s\", \"threads\": %u, \"pairs\": %u, \"window\": %u, "
              "\"deliveries_per_s\": %.0f}\n",
              opt.workers ? "caf-workers" : "io-threads", opt.threads, opt.pairs, opt.window,
              static_cast<double>(delivered) / took.count());
  for (auto& a : actors) caf::anon_send(a, closed_atom::value);
  shutdown_relay_core(core);
  return 0;
}
