// Send routing over real sockets: source overwrite, unknown destinations,
// self, devices, ignored input, ordering, many clients.
#include <random>
#include <set>
#include <thread>

#include "helpers.hpp"

using namespace relay;
using namespace relay::test;

TEST_CASE("Send is delivered with the source set by the relay", "[e2e][send]") {
  relay_process relay;
  auto a_key = test_key(30);
  auto b_key = test_key(31);
  auto liar_key = test_key(32);
  auto a = authed(relay, a_key);
  auto b = authed(relay, b_key);
  require_round_trip(*b);

  // The client claims to be someone else: the relay must overwrite it.
  protocol::send forged{liar_key.fp(), b_key.fp(), bytes_of("hello")};
  a->send(forged);
  auto e = b->next_event(5s);
  REQUIRE(e);
  auto expected = protocol::encode(protocol::send{a_key.fp(), b_key.fp(), bytes_of("hello")});
  CHECK(e->data == expected);  // exact bytes, source first
}

TEST_CASE("a Send to an unknown destination is dropped and the sender stays usable", "[e2e][send]") {
  relay_process relay;
  auto a = authed(relay, test_key(33));
  a->send_to(test_key(99).fp(), bytes_of("nobody home"));
  require_silence(*a, 300ms);
  require_round_trip(*a);
}

TEST_CASE("a client can send to itself", "[e2e][send]") {
  relay_process relay;
  auto a = authed(relay, test_key(34));
  a->send_to(a->fp(), bytes_of("me"));
  auto s = next_send(*a);
  REQUIRE(s);
  CHECK(s->source == a->fp());
  CHECK(s->payload == bytes_of("me"));
}

TEST_CASE("every device of the destination gets a copy, a device that leaves stops getting them",
          "[e2e][send]") {
  relay_process relay;
  auto dest_key = test_key(35);
  auto sender = authed(relay, test_key(36));
  std::vector<std::unique_ptr<connection>> devices;
  for (int i = 0; i < 3; ++i) devices.push_back(authed(relay, dest_key));
  require_round_trip(*devices.back());
  for (auto& d : devices) while (d->next_event(200ms)) {}

  sender->send_to(dest_key.fp(), bytes_of("to all"));
  for (auto& d : devices) {
    auto s = next_send(*d);
    REQUIRE(s);
    CHECK(s->payload == bytes_of("to all"));
  }
  devices[0]->close();
  REQUIRE(devices[0]->wait_closed(5s));
  std::this_thread::sleep_for(200ms);
  sender->send_to(dest_key.fp(), bytes_of("second"));
  for (std::size_t i = 1; i < devices.size(); ++i) {
    auto s = next_send(*devices[i]);
    REQUIRE(s);
    CHECK(s->payload == bytes_of("second"));
  }
  // All gone: further sends are dropped, the sender is fine.
  for (auto& d : devices) d->close();
  for (auto& d : devices) d->wait_closed(5s);
  std::this_thread::sleep_for(200ms);
  sender->send_to(dest_key.fp(), bytes_of("third"));
  require_round_trip(*sender);
}

TEST_CASE("malformed JSON, binary frames and server-only messages are ignored after auth",
          "[e2e][send]") {
  relay_process relay;
  auto a = authed(relay, test_key(37));
  a->send_text("{not json");
  a->send_text("");
  a->send_text("[[[[[[[[[[[[[[[[[[[[");
  a->send_binary("\x01\x02");
  a->send_text("{\"AuthChallenge\":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32]}");
  a->send_text("{\"RendezvousInfo\":{\"code\":\"AAA-BBB-CCC\"}}");
  a->send(protocol::identity_info{a->fp(), protocol::identity{{1, 2, 3}}});
  require_silence(*a, 300ms);
  require_round_trip(*a);
}

TEST_CASE("2,000 messages between a pair arrive in order", "[e2e][send][order]") {
  relay_process relay;
  auto a = authed(relay, test_key(38));
  auto b = authed(relay, test_key(39));
  require_round_trip(*b);
  constexpr int count = 2000;
  for (int i = 0; i < count; ++i) {
    auto text = std::to_string(i);
    a->send_to(b->fp(), bytes_of(text));
  }
  for (int i = 0; i < count; ++i) {
    auto s = next_send(*b, 10s);
    REQUIRE(s);
    REQUIRE(std::string(s->payload.begin(), s->payload.end()) == std::to_string(i));
  }
}

TEST_CASE("200 clients x 50 messages to random peers are delivered exactly once", "[e2e][send][load]") {
  relay_process relay;
  constexpr int clients = 200;
  constexpr int per_client = 50;
  std::vector<std::unique_ptr<connection>> conns;
  std::vector<protocol::identity_key_pair> keys;
  for (int i = 0; i < clients; ++i) keys.push_back(test_key(static_cast<std::uint8_t>(i), protocol::key_algorithm::ed25519));
  // test_key(n) differs per n for n < 256.
  for (int i = 0; i < clients; ++i) conns.push_back(authed(relay, keys[i]));
  for (auto& c : conns) require_round_trip(*c);

  std::mt19937 rng{42};
  std::vector<int> expected(clients, 0);
  std::set<std::string> sent;
  for (int i = 0; i < clients; ++i) {
    for (int m = 0; m < per_client; ++m) {
      int to = static_cast<int>(rng() % clients);
      auto id = std::to_string(i) + ":" + std::to_string(m);
      conns[i]->send_to(keys[to].fp(), bytes_of(id));
      ++expected[to];
      sent.insert(id);
    }
  }
  std::set<std::string> received;
  std::size_t duplicates = 0;
  for (int i = 0; i < clients; ++i) {
    for (int m = 0; m < expected[i]; ++m) {
      auto s = next_send(*conns[i], 10s);
      REQUIRE(s);
      auto id = std::string(s->payload.begin(), s->payload.end());
      if (!received.insert(id).second) ++duplicates;
    }
    require_silence(*conns[i], 1ms);  // nothing beyond what was addressed to it
  }
  CHECK(duplicates == 0);
  CHECK(received == sent);
}
