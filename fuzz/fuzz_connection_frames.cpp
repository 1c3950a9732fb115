// libFuzzer target: the full frame handler of one connection actor, in
// isolation. A real relay core (registry + rendezvous actors) runs in one
// actor system created once; each input spawns a connection actor on a
// recording transport, optionally authenticates it with a valid
// AuthResponse (so the post-auth handlers are fuzzed too), sends it the
// input's frames and then `closed`, and waits until it has quit.
//
// Input layout: see support/frame_split.hpp.
//
// Invariants (abort on violation):
//  - every frame is consumed exactly once, in order, with its own size;
//    never after the actor terminated;
//  - without authentication the first frame is refused: one close 1008,
//    one frame consumed, the rest dropped with the actor;
//  - a valid AuthResponse is accepted and nothing closes the client after it;
//  - everything the actor sends decodes: first the AuthChallenge, then only
//    server messages, and every Send carries the client's own fingerprint as
//    source;
//  - the actor terminates after `closed`, within a bounded time.
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/all.hpp>

#include "relay/actors/messages.hpp"
#include "relay/actors/relay_core.hpp"
#include "relay/log.hpp"
#include "relay/protocol/wire_format.hpp"
#include "relay/protocol/crypto.hpp"
#include "relay/protocol/keys.hpp"
#include "support/frame_split.hpp"
#include "support/recording_transport.hpp"

namespace {

using namespace relay;
using fuzz::fail;
using fuzz::recording_transport;
namespace proto = relay::protocol;

// Generous: a stall this long is a hang, not a slow machine.
constexpr std::chrono::milliseconds wait_limit{20'000};

relay_config fuzz_config() {
  relay_config cfg;
  // Timers hold their actor until they fire: keep them short enough that
  // thousands of executions per second do not pile up actors, long enough
  // never to fire while one input runs.
  cfg.auth_timeout = std::chrono::seconds(60);
  cfg.idle_timeout = std::chrono::seconds(60);
  cfg.rendezvous_ttl = std::chrono::seconds(60);
  // Inputs run one after another; the registry may still hold the previous
  // connection for a moment. Refusing on that race would be noise.
  cfg.max_connections_per_identity = 1u << 20;
  return cfg;
}

// The identities are ed25519-2 and mldsa65-2 of ../shared/conformance/
// identities.json, so seed inputs (scripts/fuzz-seeds) can address Sends to
// the fuzzed client itself and reach the delivery path.
std::array<std::uint8_t, 32> seed_from_hex(const char* hex) {
  std::array<std::uint8_t, 32> s{};
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  for (std::size_t i = 0; i < s.size(); ++i) s[i] = static_cast<std::uint8_t>(nibble(hex[2 * i]) << 4 | nibble(hex[2 * i + 1]));
  return s;
}
constexpr const char* ed25519_2_seed = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";
constexpr const char* mldsa65_2_seed = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

struct environment {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  relay_core core;
  proto::identity_key_pair ed25519 = proto::identity_key_pair::from_seed(proto::key_algorithm::ed25519, seed_from_hex(ed25519_2_seed));
  proto::identity_key_pair ml_dsa = proto::identity_key_pair::from_seed(proto::key_algorithm::ml_dsa_65, seed_from_hex(mldsa65_2_seed));

  environment() {
    if (!std::getenv("RELAY_FUZZ_LOGS")) log::set_level(log::level::off);
    // One worker: the actors' interleaving (and so the coverage) is stable.
    cfg.set("scheduler.max-threads", std::size_t{1});
    sys = std::make_unique<caf::actor_system>(cfg);
    core = spawn_relay_core(*sys, fuzz_config());
  }
};

// Created once, never destroyed: libFuzzer exits without unwinding statics
// in a defined order relative to CAF's threads.
environment& env() {
  static environment* e = new environment();
  return *e;
}

// The fuzz build issues a fixed challenge (FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
// in protocol/src/crypto.cpp; random_challenge() returns it here too), so
// each key and format is signed once, before the actor exists, and the
// whole input goes to its mailbox at once: one wait per input, not three.
std::string auth_response_for(const proto::identity_key_pair& key, proto::wire_format format) {
  static std::array<std::array<std::string, 2>, 2> cache;  // [ml_dsa][binary]
  auto& slot = cache[key.algorithm() == proto::key_algorithm::ml_dsa_65][format == proto::wire_format::binary];
  if (slot.empty())
    slot = proto::encode(proto::auth_response{proto::identity{key.cose_key_bytes()},
                                              key.sign_challenge(proto::random_challenge())},
                         format);
  return slot;
}

void check_outbound(const recording_transport::snapshot_t& s, const proto::fingerprint* own,
                    proto::wire_format format) {
  for (std::size_t i = 1; i < s.sent.size(); ++i) {
    proto::message m;
    if (proto::decode(*s.sent[i], format, m) != proto::decode_error::none)
      fail("an outbound frame does not decode in the client's format");
    if (own == nullptr) fail("a frame other than the challenge sent before authentication");
    if (std::holds_alternative<proto::auth_challenge>(m) || std::holds_alternative<proto::auth_response>(m) ||
        std::holds_alternative<proto::get_rendezvous>(m) || std::holds_alternative<proto::get_identity>(m))
      fail("a client-only message or a second challenge sent to the client");
    if (const auto* snd = std::get_if<proto::send>(&m); snd && snd->source != *own)
      fail("a Send delivered with a source other than the sender");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto& e = env();
  const fuzz::fuzz_case input = fuzz::split_input(data, size);
  const proto::identity_key_pair& key = input.ml_dsa ? e.ml_dsa : e.ed25519;

  const auto format = input.binary_dialect ? proto::wire_format::binary : proto::wire_format::json;
  auto io = std::make_shared<recording_transport>(format);
  caf::actor conn = spawn_connection(*e.sys, e.core, io);
  caf::actor_cast<caf::abstract_actor*>(conn)->attach_functor([io] { io->mark_terminated(); });

  std::vector<std::size_t> sizes;
  auto send_frame = [&](inbound_frame f) {
    sizes.push_back(f.data.size());
    caf::anon_send(conn, frame_atom::value, std::move(f));
  };
  if (input.authenticate) send_frame({auth_response_for(key, format), input.binary_dialect});
  for (const auto& f : input.frames) send_frame(f);
  // Behind the frames in the mailbox: the actor handles every one of them
  // first (the registry join of an authentication holds the mailbox until
  // it is settled), then quits.
  caf::anon_send(conn, closed_atom::value);
  if (!io->wait_until([](auto& t) { return t.terminated(); }, wait_limit)) fail("actor alive after closed");
  const std::size_t expected = sizes.size();

  const auto s = io->snapshot();
  if (s.sent.empty()) fail("no AuthChallenge");
  {
    proto::message m;
    if (proto::decode(*s.sent[0], format, m) != proto::decode_error::none) fail("first frame does not decode");
    const auto* ch = std::get_if<proto::auth_challenge>(&m);
    if (ch == nullptr) fail("first frame is not an AuthChallenge");
    if (ch->value != proto::random_challenge()) fail("the fuzz build's challenge is not fixed");
  }
  if (s.consumed.size() > expected) fail("more frames consumed than sent");
  for (std::size_t i = 0; i < s.consumed.size(); ++i)
    if (s.consumed[i] != sizes[i]) fail("frames consumed out of order or with the wrong size");

  if (input.authenticate) {
    if (s.consumed.size() != expected) fail("an authenticated client's frame was not consumed");
    if (!s.closes.empty()) fail("an authenticated client was closed");
    const proto::fingerprint own = key.fp();
    check_outbound(s, &own, format);
  } else {
    const std::size_t want = expected == 0 ? 0 : 1;
    if (s.consumed.size() != want) fail("pre-auth: not exactly the first frame consumed");
    if (s.closes.size() != want) fail("pre-auth: not exactly one close");
    if (want == 1 && s.closes[0].code != close_code::policy_violation) fail("pre-auth: close code is not 1008");
    check_outbound(s, nullptr, format);
  }
  return 0;
}
