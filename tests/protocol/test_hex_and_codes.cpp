// Small protocol helpers: hex, rendezvous code shape and distribution.
#include <catch2/catch.hpp>

#include <set>

#include "relay/protocol/crypto.hpp"
#include "relay/protocol/rendezvous_code.hpp"
#include "relay/protocol/types.hpp"

using namespace relay::protocol;

TEST_CASE("hex round-trips and rejects bad digits", "[protocol]") {
  byte_vector bytes;
  REQUIRE(from_hex("00ff10Ab", bytes));
  CHECK(bytes == byte_vector{0x00, 0xff, 0x10, 0xab});
  CHECK(to_hex(bytes) == "00ff10ab");
  CHECK_FALSE(from_hex("abc", bytes));
  CHECK_FALSE(from_hex("zz", bytes));
}

TEST_CASE("rendezvous codes have the XXX-XXX-XXX shape over A-Z0-9", "[protocol]") {
  std::set<std::string> seen;
  std::set<char> symbols;
  for (int i = 0; i < 2000; ++i) {
    auto code = generate_rendezvous_code();
    INFO(code);
    REQUIRE(is_well_formed_rendezvous_code(code));
    seen.insert(code);
    for (char c : code) symbols.insert(c);
  }
  CHECK(seen.size() == 2000);    // 36^9 codes: a repeat here means a broken RNG
  CHECK(symbols.size() == 37);   // all 36 symbols and the dash show up
  CHECK_FALSE(is_well_formed_rendezvous_code("ABC-DEF-GH"));
  CHECK_FALSE(is_well_formed_rendezvous_code("abc-def-ghi"));
  CHECK_FALSE(is_well_formed_rendezvous_code("ABCDDEFXGHI"));
}

TEST_CASE("sha256 matches the FIPS 180-2 'abc' vector", "[protocol]") {
  const std::string abc = "abc";
  auto digest = sha256(byte_span{reinterpret_cast<const std::uint8_t*>(abc.data()), abc.size()});
  CHECK(to_hex(digest) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
