// The wire-format switch: subprotocol negotiation parsing and encoding or
// decoding in either format.
#include <catch2/catch.hpp>

#include "relay/protocol/binary_codec.hpp"
#include "relay/protocol/json_codec.hpp"
#include "relay/protocol/wire_format.hpp"

using namespace relay::protocol;

TEST_CASE("the binary subprotocol is found in a Sec-WebSocket-Protocol list", "[wire_format]") {
  CHECK(lists_subprotocol("relay-binary-v1", binary_subprotocol));
  CHECK(lists_subprotocol("chat, relay-binary-v1", binary_subprotocol));
  CHECK(lists_subprotocol(" relay-binary-v1 ,chat", binary_subprotocol));
  CHECK(lists_subprotocol("a,\trelay-binary-v1\t", binary_subprotocol));
  CHECK_FALSE(lists_subprotocol("", binary_subprotocol));
  CHECK_FALSE(lists_subprotocol(",,", binary_subprotocol));
  CHECK_FALSE(lists_subprotocol("relay-binary-v2", binary_subprotocol));
  CHECK_FALSE(lists_subprotocol("relay-binary-v1x", binary_subprotocol));
  CHECK_FALSE(lists_subprotocol("RELAY-BINARY-V1", binary_subprotocol));  // tokens are case-sensitive
  CHECK_FALSE(lists_subprotocol("relay binary-v1", binary_subprotocol));
}

TEST_CASE("encode and decode follow the wire format", "[wire_format]") {
  fingerprint dst{};
  dst.fill(3);
  message msg = send{std::nullopt, dst, {1, 2, 3}};
  CHECK(encode(msg, wire_format::json) == encode(msg));
  CHECK(encode(msg, wire_format::binary) == encode_binary(msg));
  std::string appended = "x";
  encode_to(msg, wire_format::binary, appended);
  CHECK(appended == "x" + encode_binary(msg));

  message out;
  REQUIRE(decode(encode_binary(msg), wire_format::binary, out) == decode_error::none);
  CHECK(std::get<send>(out).payload == byte_vector{1, 2, 3});
  REQUIRE(decode(encode(msg), wire_format::json, out) == decode_error::none);
  CHECK(std::get<send>(out).destination == dst);
  // Each format rejects the other's bytes.
  CHECK(decode(encode(msg), wire_format::binary, out) != decode_error::none);
  CHECK(decode(encode_binary(msg), wire_format::json, out) != decode_error::none);
}
