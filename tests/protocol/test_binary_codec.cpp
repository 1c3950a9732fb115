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

TEST_CASE("a hostile length claim does not allocate beyond the input", "[binary]") {
  // tag 4 (GetIdentity) with a code length of 2^62.
  auto bytes = encode_binary(get_identity{""});
  std::uint64_t huge = 1ull << 62;
  bytes.replace(2, 8, reinterpret_cast<const char*>(&huge), 8);
  message out;
  CHECK(decode_binary(bytes, out) == decode_error::syntax);
}
