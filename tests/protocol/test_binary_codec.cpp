// The binary codec: round trips of every message kind, strictness and
// bounds on hostile input.
#include <catch2/catch.hpp>

#include "relay/protocol/binary_codec.hpp"

using namespace relay::protocol;

namespace {

std::vector<message> samples() {
  fingerprint a{}, b{};
  a.fill(0x11);
  b.fill(0x22);
  challenge c{};
  c.fill(0x7f);
  return {auth_challenge{c},
          auth_response{identity{{1, 2, 3}}, {4, 5}},
          get_rendezvous{spelling::seed},
          get_rendezvous{spelling::current},
          rendezvous_info{spelling::seed, "ABC-DEF-GHI"},
          get_identity{"K7Q-2ZD-M4X"},
          identity_info{a, identity{{9, 9}}},
          send{std::nullopt, b, {}},
          send{a, b, byte_vector(1000, 0xee)}};
}

}  // namespace

TEST_CASE("binary codec round-trips every message kind", "[binary]") {
  for (const auto& msg : samples()) {
    auto bytes = encode_binary(msg);
    message back;
    REQUIRE(decode_binary(bytes, back) == decode_error::none);
    // Same value: compare through the JSON encoding.
    CHECK(encode(back) == encode(msg));
  }
}

TEST_CASE("binary codec is compact: a Send costs its payload plus a small header", "[binary]") {
  fingerprint f{};
  auto bytes = encode_binary(send{f, f, byte_vector(256, 1)});
  CHECK(bytes.size() <= 256 + 32 + 32 + 16);
}

TEST_CASE("binary decoding rejects every truncation, trailing bytes and bad tags", "[binary]") {
  for (const auto& msg : samples()) {
    auto bytes = encode_binary(msg);
    message out;
    for (std::size_t n = 0; n < bytes.size(); ++n)
      REQUIRE(decode_binary(std::string_view(bytes).substr(0, n), out) != decode_error::none);
    REQUIRE(decode_binary(bytes + '\0', out) != decode_error::none);
  }
  message out;
  auto bad_tag = encode_binary(get_rendezvous{});
  bad_tag[1] = 7;
  CHECK(decode_binary(bad_tag, out) == decode_error::unknown_variant);
  auto bad_spelling = encode_binary(get_rendezvous{});
  bad_spelling[2] = 2;
  CHECK(decode_binary(bad_spelling, out) == decode_error::invalid_value);
}

TEST_CASE("the archive header is 0x01 or 0x00, nothing else", "[binary]") {
  message out;
  auto bytes = encode_binary(get_rendezvous{});
  REQUIRE(bytes[0] == '\x01');
  for (int header : {0x02, 0x7f, 0x80, 0xff}) {
    bytes[0] = static_cast<char>(header);
    CHECK(decode_binary(bytes, out) == decode_error::syntax);
  }
  // 0x00: the same message with big-endian lengths (none in this one).
  bytes[0] = '\x00';
  CHECK(decode_binary(bytes, out) == decode_error::none);
}

TEST_CASE("a hostile length claim does not allocate beyond the input", "[binary]") {
  // tag 4 (GetIdentity) with a code length of 2^62.
  auto bytes = encode_binary(get_identity{""});
  std::uint64_t huge = 1ull << 62;
  bytes.replace(2, 8, reinterpret_cast<const char*>(&huge), 8);
  message out;
  CHECK(decode_binary(bytes, out) == decode_error::syntax);
}

// The layout docs/protocol.md documents for other implementers of the binary
// dialect, byte for byte.
TEST_CASE("binary layout is the documented one", "[binary]") {
  fingerprint src{}, dst{};
  src.fill(0x11);
  dst.fill(0x22);
  auto bytes = encode_binary(send{src, dst, {0xAA, 0xBB}});
  std::string expected;
  expected += '\x01';                   // cereal portable binary: little-endian data
  expected += '\x06';                   // variant tag: Send
  expected += '\x01';                   // source present
  expected += std::string(32, '\x11');  // source
  expected += std::string(32, '\x22');  // destination
  expected += std::string("\x02\0\0\0\0\0\0\0", 8);  // payload length, u64 LE
  expected += "\xAA\xBB";
  CHECK(bytes == expected);

  CHECK(encode_binary(get_rendezvous{spelling::current}) == std::string("\x01\x02\x01", 3));
  CHECK(encode_binary(get_rendezvous{spelling::seed}) == std::string("\x01\x02\x00", 3));
  CHECK(encode_binary(get_identity{"ABC"}) == std::string("\x01\x04\x03\0\0\0\0\0\0\0ABC", 13));
  auto challenge_frame = encode_binary(auth_challenge{});
  CHECK(challenge_frame.size() == 2 + 32);
  CHECK(challenge_frame.substr(0, 2) == std::string("\x01\x00", 2));
}

TEST_CASE("binary strings must be UTF-8, like a serde String", "[binary]") {
  message out;
  auto ok = std::string("\x01\x04\x03\0\0\0\0\0\0\0ABC", 13);
  CHECK(decode_binary(ok, out) == decode_error::none);
  auto bad = std::string("\x01\x04\x02\0\0\0\0\0\0\0\xC3\x28", 12);  // invalid sequence
  CHECK(decode_binary(bad, out) == decode_error::invalid_value);
  auto surrogate = std::string("\x01\x03\x01\x03\0\0\0\0\0\0\0\xED\xA0\x80", 14);  // RendezvousInfo
  CHECK(decode_binary(surrogate, out) == decode_error::invalid_value);
}

TEST_CASE("encode_binary_to appends to what is there", "[binary]") {
  std::string out = "prefix";
  encode_binary_to(get_rendezvous{spelling::current}, out);
  CHECK(out == std::string("prefix\x01\x02\x01", 9));
}
