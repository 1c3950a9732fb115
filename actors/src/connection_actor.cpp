// Connection actor: challenge -> verify -> join -> serve. Frames are parsed
// here (never in the socket code); a Send is delivered from here, on this
// actor's thread, to each destination device's send queue (route_table.hpp),
// and only frames for other cluster nodes go through the registry.
#include "connection_actor.hpp"

#include <chrono>
#include <optional>
#include <variant>

#include <caf/all.hpp>

#include "relay/actors/messages.hpp"
#include "relay/actors/observer_port.hpp"
#include "relay/actors/rate_limits.hpp"
#include "relay/log.hpp"
#include "relay/protocol/cose.hpp"
#include "relay/protocol/crypto.hpp"
#include "relay/protocol/wire_format.hpp"
#include "route_table.hpp"
#include "timer_actor.hpp"

namespace relay::detail {

using clock = std::chrono::steady_clock;

struct connection_state {
  relay_core core;
  transport_ptr io;
  std::string client_ip;
  token_bucket claim_budget;    // GetIdentity attempts
  token_bucket code_budget;     // GetRendezvous requests
  // Optional hard caps (--messages-per-connection, --bytes-per-connection):
  // unset means no cap.
  std::optional<token_bucket> message_budget;  // frames per second (back-pressure)
  std::optional<token_bucket> byte_budget;     // inbound bytes per second (back-pressure)
  wire_format format = wire_format::json;  // chosen at upgrade (transport::format)
  protocol::challenge issued{};
  protocol::fingerprint fp{};
  identity_bytes identity;
  clock::time_point last_activity = clock::now();
  std::uint64_t frames_ignored = 0;
  connection_phase phase;  // the connections-by-phase gauges (metrics)
  bool io_done = false;    // the transport is closed, or closing at our request
  static inline const char* name = "relay.connection";

  // An actor that ends any other way (an exception, the actor system
  // stopping) still closes its client: the session, paused for credit only
  // this actor returns, would otherwise wait for it forever.
  ~connection_state() {
    if (io && !io_done) io->close(close_code::going_away, "connection ended by the relay");
  }
};

namespace {

using self_ptr = caf::stateful_actor<connection_state>*;

// A policy that does not answer in time refuses the client (fail closed).
constexpr auto admission_timeout = std::chrono::seconds(2);

// Returns the credit of one inbound frame to the session when it goes out
// of scope, whichever way the handler leaves.
class credit_guard {
 public:
  credit_guard(transport& io, std::size_t bytes) : io_(io), bytes_(bytes) {}
  ~credit_guard() { io_.frame_consumed(bytes_); }
  credit_guard(const credit_guard&) = delete;
  credit_guard& operator=(const credit_guard&) = delete;

 private:
  transport& io_;
  std::size_t bytes_;
};

// The auth and idle timers go through the core's timer actor: a pending
// delayed_send(self, ...) would keep this actor allocated after it quits,
// until the timer fires (up to the idle timeout; see timer_actor.hpp).
template <class Atom>
void arm_timer(self_ptr self, clock::duration delay, Atom what) {
  if (const auto& timers = self->state.core.timers)
    self->send(timers, arm_timer_atom::value, caf::actor_cast<caf::actor>(self), caf::timespan{delay},
              static_cast<caf::atom_value>(what));
  else
    self->delayed_send(self, delay, what);
}

// Metadata for the observer, if one is configured. Never payloads.
void observe(self_ptr self, observer_event::kind what, const protocol::fingerprint* destination = nullptr,
             std::size_t bytes = 0, const std::string& reason = {}) {
  auto& st = self->state;
  if (!st.core.observer) return;
  observer_event e;
  e.what = what;
  e.peer = st.io->peer();
  e.fp = st.fp;
  if (destination) e.destination = *destination;
  e.bytes = bytes;
  e.reason = reason;
  st.core.observer->emit(std::move(e));
}

void quit_connection(self_ptr self) {
  observe(self, observer_event::kind::disconnected);
  self->quit();
}

void close_and_quit(self_ptr self, std::uint16_t code, std::string reason) {
  self->state.io->close(code, std::move(reason));
  self->state.io_done = true;
  quit_connection(self);
}

// The metrics label of a failed signature check (auth_refusal's first five
// mirror protocol::auth_failure, in order, without `none`).
constexpr auth_refusal refusal_of(protocol::auth_failure failure) {
  return static_cast<auth_refusal>(static_cast<std::uint8_t>(failure) - 1);
}
static_assert(refusal_of(protocol::auth_failure::cbor) == auth_refusal::cbor &&
              refusal_of(protocol::auth_failure::alg) == auth_refusal::alg &&
              refusal_of(protocol::auth_failure::payload) == auth_refusal::payload &&
              refusal_of(protocol::auth_failure::identity) == auth_refusal::identity &&
              refusal_of(protocol::auth_failure::signature) == auth_refusal::signature);

// `why` is what the client is told (the close reason) and logged; `label`
// counts it. Failed credentials (bad or missing proof, timeout) count
// against the IP's failed-auth budget; a policy refusal or a full identity
// does not.
void refuse_auth(self_ptr self, auth_refusal label, const std::string& why) {
  bool failed_credentials = label != auth_refusal::policy && label != auth_refusal::too_many;
  self->state.core.stats->auth_refusals[static_cast<std::size_t>(label)].fetch_add(1, std::memory_order_relaxed);
  self->state.core.stats->auth_failed.fetch_add(1, std::memory_order_relaxed);
  if (failed_credentials) self->state.core.limits->auth_failed(self->state.client_ip);
  observe(self, observer_event::kind::refused, nullptr, 0, why);
  log::event(log::level::info, "auth_refused", {{"peer", self->state.io->peer()}, {"reason", why}});
  close_and_quit(self, close_code::policy_violation, why);
}

void ignore_frame(self_ptr self, const char* why) {
  ++self->state.frames_ignored;
  self->state.core.stats->frames_ignored.fetch_add(1, std::memory_order_relaxed);
  if (log::enabled(log::level::debug))
    log::event(log::level::debug, "frame_ignored", {{"fp", protocol::short_hex(self->state.fp)}, {"reason", why}});
}

// Encoded once, in this client's format; transcoded at most once more for
// recipients (devices, services, other nodes) that need the other one.
void route(self_ptr self, const protocol::fingerprint& to, const protocol::message& msg) {
  const auto& core = self->state.core;
  auto format = self->state.format;
  route_frame(self, *core.routes, core.registry, *core.stats, to, make_frame(protocol::encode(msg, format)), format,
              &msg);
}

// A client speaks JSON in text frames, the binary dialect in binary frames.
bool frame_kind_matches(const connection_state& st, const inbound_frame& in) {
  return in.binary == (st.format == wire_format::binary);
}

// IdentityInfo goes to every device of the claimer (on every node).
void answer_claim(self_ptr self, const protocol::fingerprint& owner, const identity_bytes& identity) {
  protocol::identity id;
  if (identity) id.cose_key_bytes = *identity;
  route(self, self->state.fp, protocol::identity_info{owner, std::move(id)});
}

// A spent code is answered only if its owner has a live connection somewhere
// right now: this node first, then every other node (bounded by the claim
// timeout; a node that does not answer in time does not have the owner).
// The identity bytes come from that live connection, not from the code.
void answer_if_owner_present(self_ptr self, const protocol::fingerprint& owner) {
  self->request(self->state.core.registry, caf::infinite, presence_atom::value, owner)
    .then(
      [=](const identity_bytes& here) {
        if (here) return answer_claim(self, owner, here);
        auto absent = [self] { self->state.core.stats->claims_owner_absent.fetch_add(1, std::memory_order_relaxed); };
        if (!self->state.core.cluster) return absent();  // owner connected nowhere: no reply
        self->request(self->state.core.cluster, caf::infinite, cluster_presence_atom::value, owner)
          .then(
            [=](const identity_bytes& there) {
              if (!there) return absent();
              answer_claim(self, owner, there);
            },
            [=](const caf::error&) { absent(); });
      },
      [](const caf::error&) {});
}

// The code is spent wherever it lives (this node, else the one other node
// that issued it), whether or not the owner turns out to be connected.
void claim_code(self_ptr self, const std::string& code) {
  self->request(self->state.core.rendezvous, caf::infinite, claim_atom::value, code)
    .then(
      [=](const claim_result& r) {
        if (r.found) return answer_if_owner_present(self, r.owner);
        if (!self->state.core.cluster) return;  // unknown, used or expired: no reply
        self->request(self->state.core.cluster, caf::infinite, cluster_claim_atom::value, code)
          .then([=](const claim_result& remote) { if (remote.found) answer_if_owner_present(self, remote.owner); },
                [](const caf::error&) {});
      },
      [](const caf::error&) {});
}

// The protocol after authentication: one handler per client message kind.
void serve_frame(self_ptr self, const inbound_frame& in) {
  auto& st = self->state;
  if (!frame_kind_matches(st, in)) return ignore_frame(self, in.binary ? "binary frame" : "text frame");
  protocol::message msg;
  if (auto err = protocol::decode(in.data, st.format, msg); err != protocol::decode_error::none)
    return ignore_frame(self, protocol::to_string(err));
  if (auto* s = std::get_if<protocol::send>(&msg)) {
    s->source = st.fp;  // never trust a client-supplied source
    st.core.stats->messages_routed.fetch_add(1, std::memory_order_relaxed);
    st.core.stats->bytes_routed.fetch_add(s->payload.size(), std::memory_order_relaxed);
    observe(self, observer_event::kind::routed, &s->destination, s->payload.size());
    route(self, s->destination, msg);
  } else if (auto* g = std::get_if<protocol::get_rendezvous>(&msg)) {
    // Each code holds memory and an expiry timer for --rendezvous-ttl; an
    // over-budget request gets no answer, like one over the relay-wide cap.
    if (!st.code_budget.try_take(1) || !st.core.limits->allow_code(st.client_ip)) {
      st.core.stats->codes_rate_limited.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    auto variant = g->variant;
    self->request(st.core.rendezvous, caf::infinite, issue_atom::value, st.fp)
      .then(
        [=](const std::string& code) {
          route(self, self->state.fp, protocol::rendezvous_info{variant, code});
        },
        [](const caf::error&) { /* capacity reached: no reply, as for any refusal */ });
  } else if (auto* c = std::get_if<protocol::get_identity>(&msg)) {
    // Claim budgets make guessing codes useless (docs/operating.md, rate limits);
    // an over-budget claim gets no answer, exactly like an unknown code.
    if (!st.claim_budget.try_take(1) || !st.core.limits->allow_claim(st.client_ip)) {
      st.core.stats->claims_rate_limited.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    claim_code(self, c->code);
  } else {
    ignore_frame(self, "server-only message");
  }
}

caf::behavior authenticated(self_ptr self) {
  auto& st = self->state;
  arm_timer(self, st.core.config->idle_timeout, deadline_atom::value);  // replaces the auth deadline
  return {
    [=](frame_atom, const inbound_frame& in) {
      auto& st = self->state;
      st.last_activity = clock::now();
      serve_frame(self, in);
      // Over its message or byte cap (if set), the client's credit comes back late:
      // the session then reads it more slowly (TCP back-pressure), nothing
      // is dropped. At most max_inflight_frames releases are ever pending.
      auto wait = clock::duration::zero();
      if (st.message_budget || st.byte_budget) {
        auto now = clock::now();
        if (st.message_budget) wait = st.message_budget->take(1, now);
        if (st.byte_budget) wait = std::max(wait, st.byte_budget->take(static_cast<double>(in.data.size()), now));
      }
      if (wait == clock::duration::zero()) {
        st.io->frame_consumed(in.data.size());
      } else {
        st.core.stats->frames_throttled.fetch_add(1, std::memory_order_relaxed);
        self->delayed_send(self, wait, release_atom::value, static_cast<std::uint64_t>(in.data.size()));
      }
    },
    [=](release_atom, std::uint64_t bytes) { self->state.io->frame_consumed(bytes); },
    [=](activity_atom) { self->state.last_activity = clock::now(); },
    [=](deadline_atom) {
      auto idle = self->state.core.config->idle_timeout;
      auto quiet = clock::now() - self->state.last_activity;
      if (quiet >= idle) {
        log::event(log::level::info, "idle_timeout", {{"fp", protocol::short_hex(self->state.fp)}});
        return close_and_quit(self, close_code::normal, "idle timeout");
      }
      arm_timer(self, idle - quiet, deadline_atom::value);
    },
    [=](closed_atom) {
      self->state.io_done = true;
      quit_connection(self);
    },
  };
}

void join(self_ptr self, protocol::key_algorithm alg) {
  auto& st = self->state;
  self->request(st.core.registry, caf::infinite, join_atom::value, st.fp, st.identity,
                caf::actor_cast<caf::actor>(self), st.io)
    .await(
      [=](caf::atom_value) {
        auto& st = self->state;
        st.core.stats->auth_ok.fetch_add(1, std::memory_order_relaxed);
        st.last_activity = clock::now();
        st.phase.enter(connection_phase::authenticated);
        log::event(log::level::info, "authenticated",
                   {{"peer", st.io->peer()},
                    {"fp", protocol::short_hex(st.fp)},
                    {"alg", alg == protocol::key_algorithm::ed25519 ? "ed25519" : "ml-dsa-65"}});
        observe(self, observer_event::kind::authenticated);
        self->become(authenticated(self));
      },
      [=](const caf::error&) { refuse_auth(self, auth_refusal::too_many, "too many connections for this identity"); });
}

void authenticate(self_ptr self, const inbound_frame& in) {
  auto& st = self->state;
  if (!frame_kind_matches(st, in))
    return refuse_auth(self, auth_refusal::malformed,
                       in.binary ? "binary frame during authentication" : "text frame during authentication");
  protocol::message msg;
  if (protocol::decode(in.data, st.format, msg) != protocol::decode_error::none)
    return refuse_auth(self, auth_refusal::malformed, "malformed message during authentication");
  auto* response = std::get_if<protocol::auth_response>(&msg);
  if (response == nullptr) return refuse_auth(self, auth_refusal::malformed, "expected AuthResponse");
  protocol::verified_identity who;
  auto failure = protocol::verify_challenge_response(st.issued, response->id.cose_key_bytes,
                                                     response->cose_sign1_bytes, who);
  if (failure != protocol::auth_failure::none)
    return refuse_auth(self, refusal_of(failure), std::string{"authentication failed: "} + protocol::to_string(failure));
  st.fp = who.fp;
  // A copy of exactly the key's size: the decoded vector has room for half
  // the frame, and this one is kept for the connection's lifetime.
  const auto& key = response->id.cose_key_bytes;
  st.identity = std::make_shared<const protocol::byte_vector>(key.begin(), key.end());
  if (!st.core.admission_policy) return join(self, who.alg);
  // await (here and in join): no other frame of this client is handled
  // before its admission and registration are settled.
  self->request(st.core.admission_policy, admission_timeout, admit_atom::value, st.fp, who.alg)
    .await(
      [=](const admission& verdict) {
        if (!verdict.allowed)
          return refuse_auth(self, auth_refusal::policy, verdict.reason.empty() ? "not admitted" : verdict.reason);
        join(self, who.alg);
      },
      [=](const caf::error&) { refuse_auth(self, auth_refusal::policy, "admission policy unavailable"); });
}

caf::behavior awaiting_auth(self_ptr self) {
  return {
    [=](frame_atom, const inbound_frame& in) {
      credit_guard credit{*self->state.io, in.data.size()};
      authenticate(self, in);
    },
    [=](deadline_atom) {
      self->state.core.stats->auth_timeouts.fetch_add(1, std::memory_order_relaxed);
      refuse_auth(self, auth_refusal::timeout, "authentication timeout");
    },
    [=](activity_atom) {},
    [=](closed_atom) {
      self->state.io_done = true;
      quit_connection(self);
    },
  };
}

}  // namespace

static caf::behavior connection_actor(self_ptr self, relay_core core, transport_ptr io, std::string client_ip) {
  auto& st = self->state;
  st.core = std::move(core);
  st.io = std::move(io);
  st.phase.attach(st.core.stats);
  st.phase.enter(connection_phase::pending_auth);
  st.client_ip = std::move(client_ip);
  const auto& cfg = *st.core.config;
  st.claim_budget = per_minute_budget(cfg.claims_per_connection_per_minute);
  st.code_budget = per_minute_budget(cfg.codes_per_connection_per_minute);
  if (auto rate = cfg.messages_per_connection_per_second; rate > 0) st.message_budget.emplace(rate, rate * 2);
  if (auto rate = cfg.bytes_per_connection_per_second; rate > 0) st.byte_budget.emplace(rate, rate * 2);
  st.format = st.io->format();
  st.issued = protocol::random_challenge();
  observe(self, observer_event::kind::connected);
  st.io->send(make_frame(protocol::encode(protocol::auth_challenge{st.issued}, st.format)));
  arm_timer(self, st.core.config->auth_timeout, deadline_atom::value);
  return awaiting_auth(self);
}

caf::actor spawn_connection_actor(caf::actor_system& sys, relay_core core, transport_ptr io, std::string client_ip) {
  return sys.spawn(connection_actor, std::move(core), std::move(io), std::move(client_ip));
}

}  // namespace relay::detail
