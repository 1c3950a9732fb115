// A connection actor that ends without being told its socket closed (an
// exception, a kill, the actor system stopping) still closes its client:
// otherwise a session paused for the credit only this actor returns would
// wait for it forever. And one that closes the client itself, or hears the
// socket is gone, does not close it a second time.
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/all.hpp>

#include "recording_transport.hpp"
#include "relay/actors/messages.hpp"
#include "relay/actors/relay_core.hpp"
#include "relay/log.hpp"

using namespace relay;
using fuzz::recording_transport;
using namespace std::chrono_literals;

namespace {

struct one_connection {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  relay_core core;
  std::shared_ptr<recording_transport> io = std::make_shared<recording_transport>();
  caf::actor actor;

  one_connection() {
    log::set_level(log::level::off);
    cfg.set("scheduler.max-threads", std::size_t{1});
    sys = std::make_unique<caf::actor_system>(cfg);
    core = spawn_relay_core(*sys, relay_config{});
    actor = spawn_connection(*sys, core, io);
    caf::actor_cast<caf::abstract_actor*>(actor)->attach_functor([t = io] { t->mark_terminated(); });
    REQUIRE(io->wait_until([](auto& t) { return t.sent_count() >= 1; }, 10s));  // the challenge
  }
  ~one_connection() { shutdown_relay_core(core); }

  recording_transport::snapshot_t after_exit() {
    REQUIRE(io->wait_until([](auto& t) { return t.terminated(); }, 10s));
    // The state (and its destructor) goes with the actor's cleanup; give
    // the close a moment to land if it runs after the exit hook.
    io->wait_until([](auto&) { return false; }, 200ms);
    return io->snapshot();
  }
};

}  // namespace

TEST_CASE("a connection actor killed from outside closes its client with 1001", "[actors][connection]") {
  one_connection c;
  caf::anon_send_exit(c.actor, caf::exit_reason::kill);
  auto s = c.after_exit();
  REQUIRE(s.closes.size() == 1);
  CHECK(s.closes[0].code == close_code::going_away);
}

TEST_CASE("a connection actor told its socket closed does not close it again", "[actors][connection]") {
  one_connection c;
  caf::anon_send(c.actor, closed_atom::value);
  CHECK(c.after_exit().closes.empty());
}

TEST_CASE("a connection actor that refuses a client closes it exactly once", "[actors][connection]") {
  one_connection c;
  caf::anon_send(c.actor, frame_atom::value, inbound_frame{"not json", false});
  auto s = c.after_exit();
  REQUIRE(s.closes.size() == 1);
  CHECK(s.closes[0].code == close_code::policy_violation);
}
