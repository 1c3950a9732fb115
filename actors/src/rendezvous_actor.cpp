// Rendezvous actor. Each code is reclaimed by a delayed expiry message
// scheduled when it is issued: no sweeping loop, no unbounded growth (the
// number of codes and of pending expiry messages are both capped).
//
// A code lives for its whole TTL whatever its owner's connections do, and
// stores only the owner's fingerprint: whether the owner is connected, and
// with which identity bytes, is asked when the code is claimed (see
// connection_actor.cpp, claim_code).
#include "rendezvous_actor.hpp"

#include <deque>
#include <string>
#include <tuple>
#include <unordered_map>

#include <caf/all.hpp>

#include "relay/actors/messages.hpp"
#include "relay/log.hpp"
#include "relay/protocol/crypto.hpp"
#include "relay/protocol/rendezvous_code.hpp"

namespace relay::detail {

struct rendezvous_state {
  struct entry {
    protocol::fingerprint owner;
    std::uint64_t serial;  // tells a stale expiry apart from a reissued code
  };
  std::unordered_map<std::string, entry> codes;
  std::unordered_map<protocol::fingerprint, std::deque<std::string>, protocol::fingerprint_hash>
    codes_of;
  std::uint64_t next_serial = 0;
  std::size_t pending_expiries = 0;  // scheduled expiry messages not yet delivered
  static inline const char* name = "relay.rendezvous";

  // Removes `code` from both indexes; the owner's list may not contain it
  // any more (it was retired), which is fine.
  void forget(const std::string& code, protocol::fingerprint owner) {
    codes.erase(code);
    auto it = codes_of.find(owner);
    if (it == codes_of.end()) return;
    std::erase(it->second, code);
    if (it->second.empty()) codes_of.erase(it);
  }
};

namespace {
std::string log_prefix(const std::string& code) { return code.substr(0, 3) + "-***-***"; }
}  // namespace

static caf::behavior rendezvous_actor(caf::stateful_actor<rendezvous_state>* self,
                               std::shared_ptr<const relay_config> cfg,
                               std::shared_ptr<relay_stats> stats) {
  return {
    [=](issue_atom, const protocol::fingerprint& owner) -> caf::result<std::string> {
      auto& st = self->state;
      // Both bounds protect memory: live codes, and expiry messages still
      // sitting in the timer queue for codes that were retired early.
      if (st.codes.size() >= cfg->max_live_codes || st.pending_expiries >= 2 * cfg->max_live_codes) {
        stats->codes_refused.fetch_add(1, std::memory_order_relaxed);
        return caf::make_error(caf::sec::runtime_error, "rendezvous code capacity reached");
      }
      auto& mine = st.codes_of[owner];
      while (mine.size() >= cfg->max_codes_per_identity && !mine.empty()) {
        st.codes.erase(mine.front());
        mine.pop_front();
      }
      std::string code;
      do {
        code = protocol::generate_rendezvous_code();
      } while (st.codes.count(code) != 0);
      auto serial = st.next_serial++;
      st.codes.emplace(code, rendezvous_state::entry{owner, serial});
      mine.push_back(code);
      ++st.pending_expiries;
      self->delayed_send(self, cfg->rendezvous_ttl, expire_atom::value, code, serial);
      stats->codes_issued.fetch_add(1, std::memory_order_relaxed);
      stats->live_codes.store(st.codes.size(), std::memory_order_relaxed);
      RELAY_LOG(debug, "code issued " << log_prefix(code) << " to " << protocol::short_hex(owner));
      return code;
    },
    [=](claim_atom, const std::string& code) {
      auto& st = self->state;
      auto it = st.codes.find(code);
      if (it == st.codes.end()) return claim_result{};
      claim_result result{true, it->second.owner};
      st.forget(code, result.owner);  // single use
      stats->codes_claimed.fetch_add(1, std::memory_order_relaxed);
      stats->live_codes.store(st.codes.size(), std::memory_order_relaxed);
      return result;
    },
    // Another node's claim: same single-use semantics, answered with
    // serialisable types (claim_result is local only).
    [=](remote_claim_atom, const std::string& code) -> std::tuple<bool, protocol::fingerprint> {
      auto& st = self->state;
      auto it = st.codes.find(code);
      if (it == st.codes.end()) return {false, protocol::fingerprint{}};
      auto owner = it->second.owner;
      st.forget(code, owner);
      stats->codes_claimed.fetch_add(1, std::memory_order_relaxed);
      stats->live_codes.store(st.codes.size(), std::memory_order_relaxed);
      return {true, owner};
    },
    [=](expire_atom, const std::string& code, std::uint64_t serial) {
      auto& st = self->state;
      --st.pending_expiries;
      auto it = st.codes.find(code);
      if (it == st.codes.end() || it->second.serial != serial) return;
      st.forget(code, it->second.owner);
      stats->codes_expired.fetch_add(1, std::memory_order_relaxed);
      stats->live_codes.store(st.codes.size(), std::memory_order_relaxed);
    },
  };
}

caf::actor spawn_rendezvous(caf::actor_system& sys, std::shared_ptr<const relay_config> cfg,
                            std::shared_ptr<relay_stats> stats) {
  return sys.spawn(rendezvous_actor, std::move(cfg), std::move(stats));
}

}  // namespace relay::detail
