// Shared pieces of the end-to-end tests: keys, authenticated clients,
// waiting for a particular message.
#pragma once

#include <catch2/catch.hpp>

#include <variant>

#include "relay/client/connection.hpp"
#include "relay/protocol/json_codec.hpp"
#include "relay/protocol/keys.hpp"
#include "relay_process.hpp"

namespace relay::test {

using namespace std::chrono_literals;
using client::connection;

/// A deterministic Ed25519 key: test identity number `n`.
inline protocol::identity_key_pair test_key(std::uint8_t n,
                                            protocol::key_algorithm alg = protocol::key_algorithm::ed25519) {
  std::array<std::uint8_t, 32> seed{};
  seed.fill(n);
  seed[0] = 0xA5;  // keep clear of the conformance seeds
  return protocol::identity_key_pair::from_seed(alg, seed);
}

/// Connects and authenticates; the relay keeps the connection (checked by
/// a round trip through the registry when `verify` is set).
inline std::unique_ptr<connection> authed(const relay_process& relay, const protocol::identity_key_pair& key) {
  auto c = connection::open(relay.url());
  c->authenticate(key);
  return c;
}

/// Sends a message to ourselves and waits for it: proves the connection is
/// authenticated and routable right now.
inline void require_round_trip(connection& c, std::chrono::milliseconds timeout = 5s) {
  protocol::byte_vector marker{0xde, 0xad, static_cast<std::uint8_t>(std::rand() & 0xff)};
  c.send_to(c.fp(), marker);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto msg = c.receive(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
    if (!msg) break;
    if (auto* s = std::get_if<protocol::send>(&*msg); s && s->payload == marker) return;
  }
  FAIL("no round trip within the timeout");
}

/// Next Send, skipping anything else; nullopt on timeout.
inline std::optional<protocol::send> next_send(connection& c, std::chrono::milliseconds timeout = 5s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto msg = c.receive(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
    if (!msg) return std::nullopt;
    if (auto* s = std::get_if<protocol::send>(&*msg)) return *s;
  }
  return std::nullopt;
}

/// Expects no text frame at all for `quiet`.
inline void require_silence(connection& c, std::chrono::milliseconds quiet) {
  auto e = c.next_event(quiet);
  if (e) {
    INFO("unexpected frame: " << e->data.substr(0, 200));
    REQUIRE_FALSE(e.has_value());
  }
}

/// The port of a relay started with `--admin-listen 127.0.0.1:0` (it prints
/// the admin address before its listening line).
inline std::uint16_t admin_port(const relay_process& relay) {
  const std::string prefix = "admin listening on http://127.0.0.1:";
  for (const auto& line : relay.startup_lines())
    if (line.rfind(prefix, 0) == 0) return static_cast<std::uint16_t>(std::stoi(line.substr(prefix.size())));
  FAIL("the relay printed no admin address before its listening line");
  return 0;
}

inline protocol::byte_vector bytes_of(const std::string& s) { return {s.begin(), s.end()}; }

}  // namespace relay::test
