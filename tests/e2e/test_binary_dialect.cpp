// The opt-in binary dialect (Sec-WebSocket-Protocol: relay-binary-v1) over
// real sockets: negotiation, exact frames both ways, interoperation with
// JSON clients (the relay transcodes), mixed devices of one identity,
// strictness, ordering, and a binary sender across a cluster.
#include <thread>

#include "cluster_helpers.hpp"
#include "helpers.hpp"
#include "relay/protocol/binary_codec.hpp"

using namespace relay;
using namespace relay::test;

namespace {

using protocol::wire_format;

std::unique_ptr<connection> open_binary(const relay_process& relay) {
  client::connect_options options;
  options.format = wire_format::binary;
  return connection::open(relay.url(), options);
}

std::unique_ptr<connection> authed_binary(const relay_process& relay, const protocol::identity_key_pair& key) {
  auto c = open_binary(relay);
  c->authenticate(key);
  return c;
}

// The next frame must be a binary (or text) frame holding exactly `expected`.
void require_frame(connection& c, client::event::kind kind, const std::string& expected) {
  auto e = c.next_event(5s);
  REQUIRE(e);
  CHECK(e->type == kind);
  CHECK(e->data == expected);
}

}  // namespace

TEST_CASE("the binary dialect is granted only to a client that asks for it", "[e2e][binary]") {
  relay_process relay;
  auto binary = open_binary(relay);
  CHECK(binary->format() == wire_format::binary);
  auto challenge = binary->next_event(5s);
  REQUIRE(challenge);
  REQUIRE(challenge->type == client::event::kind::binary);
  protocol::message msg;
  REQUIRE(protocol::decode_binary(challenge->data, msg) == protocol::decode_error::none);
  CHECK(std::holds_alternative<protocol::auth_challenge>(msg));
  CHECK(challenge->data.size() == 34);  // endianness byte, tag, 32 challenge bytes

  auto plain = connection::open(relay.url());
  CHECK(plain->format() == wire_format::json);
  auto text = plain->next_event(5s);
  REQUIRE(text);
  CHECK(text->type == client::event::kind::text);
  CHECK(text->data.rfind("{\"AuthChallenge\":[", 0) == 0);
}

TEST_CASE("a binary client authenticates and receives exact binary frames", "[e2e][binary]") {
  relay_process relay;
  auto key = test_key(140);
  auto c = authed_binary(relay, key);
  c->send_to(key.fp(), bytes_of("to myself"));
  require_frame(*c, client::event::kind::binary,
                protocol::encode_binary(protocol::send{key.fp(), key.fp(), bytes_of("to myself")}));
  c->send(protocol::get_rendezvous{protocol::spelling::seed});
  auto e = c->next_event(5s);
  REQUIRE(e);
  REQUIRE(e->type == client::event::kind::binary);
  protocol::message msg;
  REQUIRE(protocol::decode_binary(e->data, msg) == protocol::decode_error::none);
  auto* info = std::get_if<protocol::rendezvous_info>(&msg);
  REQUIRE(info);
  CHECK(info->variant == protocol::spelling::seed);  // the request's spelling, as in JSON
  CHECK(info->code.size() == 11);
}

TEST_CASE("binary and JSON clients pair by code and exchange messages both ways", "[e2e][binary]") {
  relay_process relay;
  auto bin_key = test_key(141);
  auto json_key = test_key(142);
  auto bin = authed_binary(relay, bin_key);
  auto json = authed(relay, json_key);
  require_round_trip(*json);
  require_round_trip(*bin);

  SECTION("the binary client's code is claimed by the JSON client") {
    auto code = bin->get_rendezvous();
    auto info = json->claim(code);
    REQUIRE(info);
    CHECK(info->fp == bin_key.fp());
    CHECK(info->id.cose_key_bytes == bin_key.cose_key_bytes());
  }
  SECTION("the JSON client's code is claimed by the binary client") {
    auto code = json->get_rendezvous();
    auto info = bin->claim(code);
    REQUIRE(info);
    CHECK(info->fp == json_key.fp());
    CHECK(info->id.cose_key_bytes == json_key.cose_key_bytes());
  }

  // Binary -> JSON: the JSON client gets exactly the serde text.
  bin->send_to(json_key.fp(), bytes_of("from binary"));
  require_frame(*json, client::event::kind::text,
                protocol::encode(protocol::send{bin_key.fp(), json_key.fp(), bytes_of("from binary")}));
  // JSON -> binary: the binary client gets exactly the binary encoding.
  json->send_to(bin_key.fp(), bytes_of("from json"));
  require_frame(*bin, client::event::kind::binary,
                protocol::encode_binary(protocol::send{json_key.fp(), bin_key.fp(), bytes_of("from json")}));
}

TEST_CASE("one identity's JSON and binary devices each get every message in their own format",
          "[e2e][binary]") {
  relay_process relay;
  auto dest_key = test_key(143);
  auto json_device = authed(relay, dest_key);
  auto bin_device = authed_binary(relay, dest_key);
  auto json_sender = authed(relay, test_key(144));
  auto bin_sender = authed_binary(relay, test_key(145));
  require_round_trip(*json_device);
  require_round_trip(*bin_device);
  while (json_device->next_event(200ms)) {}
  while (bin_device->next_event(200ms)) {}

  for (auto* sender : {json_sender.get(), bin_sender.get()}) {
    auto payload = bytes_of(sender == json_sender.get() ? "json sender" : "binary sender");
    sender->send_to(dest_key.fp(), payload);
    protocol::send expected{sender->fp(), dest_key.fp(), payload};
    require_frame(*json_device, client::event::kind::text, protocol::encode(expected));
    require_frame(*bin_device, client::event::kind::binary, protocol::encode_binary(expected));
  }
  require_silence(*json_device, 200ms);
  require_silence(*bin_device, 200ms);
}

TEST_CASE("the binary dialect is strict: text frames are refused before auth and ignored after",
          "[e2e][binary]") {
  relay_process relay;
  SECTION("a text frame instead of the AuthResponse closes with 1008") {
    auto c = open_binary(relay);
    REQUIRE(c->next_event(5s));  // the challenge
    c->send_text("{\"AuthResponse\":[]}");
    auto closed = c->wait_closed(5s);
    REQUIRE(closed);
    CHECK(closed->code == 1008);
    CHECK(closed->reason == "text frame during authentication");
  }
  SECTION("a malformed binary AuthResponse closes with 1008") {
    auto c = open_binary(relay);
    REQUIRE(c->next_event(5s));
    c->send_binary(std::string("\x01\x01\xff\xff\xff\xff\xff\xff\xff\xff", 10));  // length beyond the input
    auto closed = c->wait_closed(5s);
    REQUIRE(closed);
    CHECK(closed->code == 1008);
    CHECK(closed->reason == "malformed message during authentication");
  }
  SECTION("after auth, text frames, garbage and truncated messages are ignored; the client stays") {
    auto key = test_key(146);
    auto c = authed_binary(relay, key);
    require_round_trip(*c);
    c->send_text(protocol::encode(protocol::send{std::nullopt, key.fp(), bytes_of("json in binary dialect")}));
    c->send_binary("");
    c->send_binary("garbage");
    auto full = protocol::encode_binary(protocol::send{std::nullopt, key.fp(), bytes_of("cut short")});
    c->send_binary(full.substr(0, full.size() - 1));
    c->send_binary(full + "x");  // trailing byte
    c->send_binary(protocol::encode_binary(protocol::auth_challenge{}));  // server-only
    require_silence(*c, 300ms);
    require_round_trip(*c);
  }
}

TEST_CASE("2,000 messages from a binary sender reach a JSON receiver in order", "[e2e][binary]") {
  relay_process relay;
  auto sender = authed_binary(relay, test_key(147));
  auto receiver_key = test_key(148);
  auto receiver = authed(relay, receiver_key);
  require_round_trip(*receiver);
  constexpr int count = 2000;
  for (int i = 0; i < count; ++i) sender->send_to(receiver_key.fp(), bytes_of("m" + std::to_string(i)));
  for (int i = 0; i < count; ++i) {
    auto s = next_send(*receiver);
    REQUIRE(s);
    REQUIRE(s->payload == bytes_of("m" + std::to_string(i)));
    REQUIRE(s->source == sender->fp());
  }
}

TEST_CASE("a binary sender reaches JSON and binary devices on another cluster node", "[e2e][binary][cluster]") {
  auto a = start_node({});
  auto b = start_node({cluster_address(*a)});
  auto dest_key = test_key(149);
  auto sender = authed_binary(*a, test_key(150));
  auto json_device = authed(*b, dest_key);
  auto bin_device = authed_binary(*b, dest_key);
  wait_routable(*sender, *json_device);
  while (bin_device->next_event(300ms)) {}

  protocol::send expected{sender->fp(), dest_key.fp(), bytes_of("across nodes")};
  sender->send_to(dest_key.fp(), expected.payload);
  require_frame(*json_device, client::event::kind::text, protocol::encode(expected));
  require_frame(*bin_device, client::event::kind::binary, protocol::encode_binary(expected));
}

TEST_CASE("asking for the binary dialect fails cleanly against a server that does not grant it",
          "[e2e][binary]") {
  relay_process plain_server({}, "null_relay");  // the benchmark baseline: no subprotocols
  client::connect_options options;
  options.format = wire_format::binary;
  CHECK_THROWS_AS(connection::open(plain_server.url(), options), client::connect_error);
}
