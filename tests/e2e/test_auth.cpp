// Authentication over real sockets against the real relay binary.
#include <set>

#include "conformance.hpp"
#include "helpers.hpp"

using namespace relay;
using namespace relay::test;

namespace {

protocol::challenge read_challenge(connection& c) {
  auto msg = c.receive(5s);
  REQUIRE(msg);
  auto* ch = std::get_if<protocol::auth_challenge>(&*msg);
  REQUIRE(ch != nullptr);
  return ch->value;
}

client::close_info expect_closed(connection& c, std::chrono::milliseconds within = 5s) {
  auto closed = c.wait_closed(within);
  REQUIRE(closed);
  return *closed;
}

}  // namespace

TEST_CASE("a valid Ed25519 response authenticates and the connection is usable", "[e2e][auth]") {
  relay_process relay;
  auto c = authed(relay, test_key(1));
  require_round_trip(*c);
}

TEST_CASE("every connection gets a fresh 32-byte challenge in the exact frame shape", "[e2e][auth]") {
  relay_process relay;
  std::set<std::string> frames;
  for (int i = 0; i < 5; ++i) {
    auto c = connection::open(relay.url());
    auto e = c->next_event(5s);
    REQUIRE(e);
    REQUIRE(e->type == client::event::kind::text);
    protocol::message msg;
    REQUIRE(protocol::decode(e->data, msg) == protocol::decode_error::none);
    REQUIRE(std::holds_alternative<protocol::auth_challenge>(msg));
    CHECK(protocol::encode(msg) == e->data);  // compact serde form
    frames.insert(e->data);
  }
  CHECK(frames.size() == 5);
}

TEST_CASE("authentication failures close the connection with 1008", "[e2e][auth]") {
  relay_process relay;
  auto key = test_key(1);
  auto other = test_key(2);

  SECTION("bad signature") {
    auto c = connection::open(relay.url());
    auto challenge = read_challenge(*c);
    auto sign1 = key.sign_challenge(challenge);
    sign1.back() ^= 0x01;  // last signature byte
    c->send(protocol::auth_response{protocol::identity{key.cose_key_bytes()}, sign1});
    CHECK(expect_closed(*c).code == 1008);
  }
  SECTION("another key's signature") {
    auto c = connection::open(relay.url());
    auto challenge = read_challenge(*c);
    c->send(protocol::auth_response{protocol::identity{key.cose_key_bytes()}, other.sign_challenge(challenge)});
    CHECK(expect_closed(*c).code == 1008);
  }
  SECTION("payload is not the issued challenge") {
    auto c = connection::open(relay.url());
    auto challenge = read_challenge(*c);
    challenge[0] ^= 0xff;
    c->send(protocol::auth_response{protocol::identity{key.cose_key_bytes()}, key.sign_challenge(challenge)});
    CHECK(expect_closed(*c).code == 1008);
  }
  SECTION("wrong first message") {
    auto c = connection::open(relay.url());
    read_challenge(*c);
    c->send(protocol::get_rendezvous{});
    auto closed = expect_closed(*c);
    CHECK(closed.code == 1008);
    CHECK_FALSE(closed.reason.empty());
  }
  SECTION("malformed JSON before auth") {
    auto c = connection::open(relay.url());
    read_challenge(*c);
    c->send_text("{not json");
    CHECK(expect_closed(*c).code == 1008);
  }
  SECTION("binary frame during auth") {
    auto c = connection::open(relay.url());
    auto challenge = read_challenge(*c);
    c->send_binary(protocol::encode(
      protocol::auth_response{protocol::identity{key.cose_key_bytes()}, key.sign_challenge(challenge)}));
    CHECK(expect_closed(*c).code == 1008);
  }
  // After every refusal the relay keeps serving others.
  auto ok = authed(relay, key);
  require_round_trip(*ok);
}

TEST_CASE("a client that does not answer the challenge in time is closed with 1008", "[e2e][auth]") {
  relay_process relay{{"--auth-timeout", "0.5"}};
  auto c = connection::open(relay.url());
  auto start = std::chrono::steady_clock::now();
  auto closed = c->wait_closed(5s);
  REQUIRE(closed);
  CHECK(closed->code == 1008);
  CHECK(std::chrono::steady_clock::now() - start < 3s);
}

TEST_CASE("a conformance identity's reference response shape authenticates live", "[e2e][auth]") {
  // The conformance identities authenticate against fresh challenges when
  // the client signs exactly as the reference client does.
  relay_process relay;
  auto identities = load_conformance("identities.json");
  for (auto name : {"ed25519-1", "ed25519-2"}) {
    const auto& id = identity_named(identities, name);
    auto key = protocol::identity_key_pair::from_cose(hex_bytes(id["key_file_cose_hex"].GetString()));
    REQUIRE(key);
    auto c = authed(relay, *key);
    require_round_trip(*c);
    CHECK(protocol::to_hex(c->fp()) == id["fingerprint_hex"].GetString());
  }
}

TEST_CASE("a plain HTTP request gets a 4xx answer and the relay keeps serving", "[e2e][http]") {
  relay_process relay;
  auto result = run_program({"/usr/bin/env", "bash", "-c",
                             "exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(relay.port()) +
                               "; printf 'GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n' >&3; timeout 5 head -c 12 <&3"},
                            10s);
  INFO(result.out << result.err);
  REQUIRE(result.out.rfind("HTTP/1.1 4", 0) == 0);
  auto c = authed(relay, test_key(3));
  require_round_trip(*c);
}
