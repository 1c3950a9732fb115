// A real relay core in its own actor system, driven by messages from the
// test thread: for tests of the registry and rendezvous actors without
// connection actors or sockets. Every wait is bounded by wait_limit.
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/all.hpp>

#include "recording_transport.hpp"
#include "relay/actors/messages.hpp"
#include "relay/actors/relay_core.hpp"
#include "relay/log.hpp"
#include "route_table.hpp"

namespace relay::test {

using namespace std::chrono_literals;
inline constexpr auto wait_limit = std::chrono::seconds(10);

inline protocol::fingerprint fp_of(std::uint8_t n) {
  protocol::fingerprint fp{};
  fp.fill(n);
  fp[0] = 0xf0;
  return fp;
}

inline identity_bytes identity_of(const std::string& text) {
  return std::make_shared<const protocol::byte_vector>(text.begin(), text.end());
}

/// Asks `dest` and returns its one-value answer; the test fails if the
/// answer is an error or does not come within wait_limit.
template <class T, class... Ts>
T ask(caf::scoped_actor& self, const caf::actor& dest, Ts&&... xs) {
  std::optional<T> out;
  self->request(dest, wait_limit, std::forward<Ts>(xs)...)
    .receive([&](const T& answer) { out = answer; }, [&](caf::error&) {});
  REQUIRE(out);
  return *out;
}

struct core_under_test {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  relay_core core;
  std::vector<caf::actor> members;  // stand-ins for connection actors, killed at the end

  explicit core_under_test(relay_config config = {}) {
    log::set_level(log::level::off);
    cfg.set("scheduler.max-threads", std::size_t{2});
    sys = std::make_unique<caf::actor_system>(cfg);
    core = spawn_relay_core(*sys, config);
  }
  ~core_under_test() {
    for (auto& m : members) caf::anon_send_exit(m, caf::exit_reason::kill);
    shutdown_relay_core(core);
  }
  core_under_test(const core_under_test&) = delete;
  core_under_test& operator=(const core_under_test&) = delete;

  /// A stand-in for a connection actor: the registry monitors it, so
  /// killing it is a connection going away.
  caf::actor spawn_member() {
    // The unused argument: CAF 0.17's spawn of a function actor without
    // arguments binds a reference to a null tuple (UBSan reports it).
    auto m = sys->spawn([](caf::event_based_actor*, int) -> caf::behavior { return {[](int) {}}; }, 0);
    members.push_back(m);
    return m;
  }

  /// Joins `member` as `fp` from `self`; the registry's answer.
  caf::expected<caf::atom_value> join(caf::scoped_actor& self, const protocol::fingerprint& fp,
                                      const caf::actor& member, transport_ptr io,
                                      identity_bytes identity = nullptr) {
    caf::expected<caf::atom_value> out = caf::make_error(caf::sec::request_timeout);
    self->request(core.registry, wait_limit, join_atom::value, fp, identity, member, io)
      .receive([&](caf::atom_value v) { out = v; }, [&](caf::error& e) { out = std::move(e); });
    return out;
  }

  /// The registry's presence answer for `fp`. Asked from `self`, it is also
  /// a barrier: everything `self` sent the registry before has been handled.
  identity_bytes presence(caf::scoped_actor& self, const protocol::fingerprint& fp) {
    return ask<identity_bytes>(self, core.registry, presence_atom::value, fp);
  }

  /// Waits (bounded) until `done(routes of fp)` holds.
  template <class Predicate>
  bool wait_route(const protocol::fingerprint& fp, Predicate done) {
    auto deadline = std::chrono::steady_clock::now() + wait_limit;
    while (!done(core.routes->find(fp))) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(1ms);
    }
    return true;
  }
};

inline transport_ptr as_transport(const std::shared_ptr<fuzz::recording_transport>& t) { return t; }

}  // namespace relay::test
