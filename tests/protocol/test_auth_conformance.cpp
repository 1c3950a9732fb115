// conformance/auth.json against verify_challenge_response, plus hostile and
// non-canonical CBOR the vectors do not cover.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <string>

#include "conformance.hpp"
#include "relay/protocol/cose.hpp"
#include "relay/protocol/types.hpp"

using namespace relay::protocol;
using relay::test::hex_bytes;
using relay::test::load_conformance;

namespace {

challenge challenge_from(const byte_vector& bytes) {
  REQUIRE(bytes.size() == challenge_size);
  challenge c{};
  std::copy(bytes.begin(), bytes.end(), c.begin());
  return c;
}

bool is_mldsa_case(const rapidjson::Value& c) { return c.HasMember("requires_feature"); }

struct tally {
  int accept = 0;
  int reject = 0;
};

void check_case(const rapidjson::Value& c, tally& t) {
  const std::string name = c["name"].GetString();
  INFO("case " << name << ": " << c["reason"].GetString());
  const auto key = hex_bytes(c["identity_cose_key_hex"].GetString());
  const auto sign1 = hex_bytes(c["cose_sign1_hex"].GetString());
  const auto issued = challenge_from(hex_bytes(c["challenge_hex"].GetString()));
  verified_identity who{};
  const auth_failure got = verify_challenge_response(issued, key, sign1, who);
  if (std::string(c["expect"].GetString()) == "accept") {
    ++t.accept;
    CHECK(std::string(to_string(got)) == "none");
    CHECK(to_hex(who.fp) == c["fingerprint_hex"].GetString());
    const bool mldsa = std::string(c["alg"].GetString()) == "ML-DSA-65";
    CHECK(who.alg == (mldsa ? key_algorithm::ml_dsa_65 : key_algorithm::ed25519));
  } else {
    ++t.reject;
    CHECK(std::string(to_string(got)) == c["failure"].GetString());
  }
}

const rapidjson::Value& case_named(const rapidjson::Document& auth, const std::string& name) {
  for (const auto& c : auth["cases"].GetArray()) {
    if (name == c["name"].GetString()) return c;
  }
  FAIL("no auth case " << name);
  throw std::logic_error("unreachable");
}

// The reference client's output for ed25519-1 over chal-1.
struct e1_vectors {
  byte_vector key;
  byte_vector sign1;
  challenge issued{};
};

e1_vectors load_e1() {
  const auto auth = load_conformance("auth.json");
  const auto& c = case_named(auth, "ed25519/accept/e1-chal1");
  e1_vectors v;
  v.key = hex_bytes(c["identity_cose_key_hex"].GetString());
  v.sign1 = hex_bytes(c["cose_sign1_hex"].GetString());
  v.issued = challenge_from(hex_bytes(c["challenge_hex"].GetString()));
  return v;
}

auth_failure verify(const e1_vectors& v, const byte_vector& key, const byte_vector& sign1) {
  verified_identity who{};
  return verify_challenge_response(v.issued, key, sign1, who);
}

byte_vector concat(std::initializer_list<byte_span> parts) {
  byte_vector out;
  for (auto p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

byte_vector bytes_of(std::initializer_list<std::uint8_t> b) { return byte_vector(b); }

// e1's COSE_Sign1 split into its parts: 84 | 43 a1 01 27 | a0 | 58 20 <chal> | 58 40 <sig>
struct sign1_parts {
  byte_vector payload;    // the 32 challenge bytes
  byte_vector signature;  // 64 bytes
};

sign1_parts split_e1(const e1_vectors& v) {
  REQUIRE(v.sign1.size() == 1 + 4 + 1 + 2 + 32 + 2 + 64);
  sign1_parts p;
  p.payload.assign(v.sign1.begin() + 8, v.sign1.begin() + 40);
  p.signature.assign(v.sign1.begin() + 42, v.sign1.end());
  return p;
}

}  // namespace

TEST_CASE("auth.json: every Ed25519 case gets the reference's verdict", "[auth]") {
  const auto auth = load_conformance("auth.json");
  tally t;
  for (const auto& c : auth["cases"].GetArray()) {
    if (is_mldsa_case(c)) continue;
    check_case(c, t);
  }
  CHECK(t.accept == 10);
  CHECK(t.reject == 39);
}

TEST_CASE("auth.json: every ML-DSA-65 case gets the reference's verdict", "[mldsa65]") {
  const auto auth = load_conformance("auth.json");
  tally t;
  for (const auto& c : auth["cases"].GetArray()) {
    if (!is_mldsa_case(c)) continue;
    check_case(c, t);
  }
  CHECK(t.accept == 3);
  CHECK(t.reject == 11);
}

TEST_CASE("auth.json covers 63 cases", "[auth]") {
  const auto auth = load_conformance("auth.json");
  CHECK(auth["cases"].GetArray().Size() == 63);
}

TEST_CASE("the small-order key forgery the reference accepts is refused", "[auth]") {
  const auto auth = load_conformance("auth.json");
  const auto& quirks = auth["reference_quirks"].GetArray();
  REQUIRE(quirks.Size() >= 1);
  bool seen = false;
  for (const auto& q : quirks) {
    const std::string name = q["name"].GetString();
    if (name != "ed25519/quirk/small-order-key-forgery") continue;
    seen = true;
    const auto key = hex_bytes(q["identity_cose_key_hex"].GetString());
    const auto sign1 = hex_bytes(q["cose_sign1_hex"].GetString());
    const auto issued = challenge_from(hex_bytes(q["challenge_hex"].GetString()));
    verified_identity who{};
    CHECK(verify_challenge_response(issued, key, sign1, who) == auth_failure::signature);
    // The key itself parses (dalek decompresses it); only the verify refuses.
    CHECK(parse_identity_key(key).has_value());
  }
  CHECK(seen);
}

TEST_CASE("to_string names the conformance failure steps", "[auth]") {
  CHECK(std::string(to_string(auth_failure::none)) == "none");
  CHECK(std::string(to_string(auth_failure::cbor)) == "cbor");
  CHECK(std::string(to_string(auth_failure::alg)) == "alg");
  CHECK(std::string(to_string(auth_failure::payload)) == "payload");
  CHECK(std::string(to_string(auth_failure::identity)) == "identity");
  CHECK(std::string(to_string(auth_failure::signature)) == "signature");
}

TEST_CASE("every prefix of a valid COSE_Sign1 or COSE_Key is refused", "[auth]") {
  const auto v = load_e1();
  REQUIRE(verify(v, v.key, v.sign1) == auth_failure::none);
  for (std::size_t n = 0; n < v.sign1.size(); ++n) {
    INFO("COSE_Sign1 prefix of " << n << " bytes");
    byte_vector prefix(v.sign1.begin(), v.sign1.begin() + static_cast<std::ptrdiff_t>(n));
    CHECK(verify(v, v.key, prefix) == auth_failure::cbor);
  }
  for (std::size_t n = 0; n < v.key.size(); ++n) {
    INFO("COSE_Key prefix of " << n << " bytes");
    byte_vector prefix(v.key.begin(), v.key.begin() + static_cast<std::ptrdiff_t>(n));
    CHECK_FALSE(parse_identity_key(prefix).has_value());
    CHECK(verify(v, prefix, v.sign1) == auth_failure::identity);
  }
  // The same for the ML-DSA-65 structures (refused before any verify).
  const auto ids = load_conformance("identities.json");
  const auto mkey = hex_bytes(relay::test::identity_named(ids, "mldsa65-1")["cose_key_hex"].GetString());
  REQUIRE(parse_identity_key(mkey).has_value());
  for (std::size_t n = 0; n < mkey.size(); n += (n < 16 || n > mkey.size() - 16) ? 1 : 97) {
    INFO("ML-DSA COSE_Key prefix of " << n << " bytes");
    byte_vector prefix(mkey.begin(), mkey.begin() + static_cast<std::ptrdiff_t>(n));
    CHECK_FALSE(parse_identity_key(prefix).has_value());
  }
  const auto auth = load_conformance("auth.json");
  const auto msign1 = hex_bytes(case_named(auth, "mldsa65/accept/m1-chal1")["cose_sign1_hex"].GetString());
  for (std::size_t n = 0; n < msign1.size(); n += (n < 16 || n > msign1.size() - 16) ? 1 : 89) {
    INFO("ML-DSA COSE_Sign1 prefix of " << n << " bytes");
    byte_vector prefix(msign1.begin(), msign1.begin() + static_cast<std::ptrdiff_t>(n));
    CHECK(verify(v, mkey, prefix) == auth_failure::cbor);
  }
}

TEST_CASE("huge declared lengths are refused without allocating", "[auth]") {
  const auto v = load_e1();
  const auto start = std::chrono::steady_clock::now();
  // A COSE_Key claiming 2^32 entries.
  const auto map_2_32 = bytes_of({0xbb, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01});
  CHECK_FALSE(parse_identity_key(map_2_32).has_value());
  CHECK(verify(v, map_2_32, v.sign1) == auth_failure::identity);
  // A COSE_Key whose x claims 2^60 bytes.
  const auto bstr_2_60 = concat({bytes_of({0xa4, 0x01, 0x01, 0x03, 0x27, 0x20, 0x27, 0x21, 0x5b, 0x10,
                                           0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}),
                                 byte_vector(32, 0x55)});
  CHECK_FALSE(parse_identity_key(bstr_2_60).has_value());
  CHECK(verify(v, bstr_2_60, v.sign1) == auth_failure::identity);
  // A 2^64-1 byte bstr, a 2^64-1 element array, and the same inside COSE_Sign1.
  const auto bstr_max = bytes_of({0xa1, 0x01, 0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00});
  CHECK_FALSE(parse_identity_key(bstr_max).has_value());
  const auto array_max = bytes_of({0xa1, 0x0a, 0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00});
  CHECK_FALSE(parse_identity_key(array_max).has_value());
  const auto sign1_huge_sig = concat({byte_span(v.sign1).first(40),
                                      bytes_of({0x5b, 0x10, 0, 0, 0, 0, 0, 0, 0, 0x00})});
  CHECK(verify(v, v.key, sign1_huge_sig) == auth_failure::cbor);
  const auto sign1_array_2_32 = bytes_of({0x9b, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x40});
  CHECK(verify(v, v.key, sign1_array_2_32) == auth_failure::cbor);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(elapsed < std::chrono::seconds(1));
}

TEST_CASE("deep nesting in an unknown COSE_Key value: ciborium's limit of 256", "[auth]") {
  const auto v = load_e1();
  // {1: 1, 3: -8, -1: -8, -2: pk, 10: [[[...0...]]]}: the map is level 1,
  // so up to 255 nested arrays fit in ciborium's 256 and one more does not.
  auto key_with_nesting = [&](std::size_t levels, std::uint8_t open, bool indefinite) {
    byte_vector key = v.key;
    key[0] = 0xa5;
    key.push_back(0x0a);
    key.insert(key.end(), levels, open);
    key.push_back(0x00);
    if (indefinite) key.insert(key.end(), levels, 0xff);
    return key;
  };
  CHECK(parse_identity_key(key_with_nesting(255, 0x81, false)).has_value());
  CHECK(verify(v, key_with_nesting(255, 0x81, false), v.sign1) == auth_failure::none);
  CHECK_FALSE(parse_identity_key(key_with_nesting(256, 0x81, false)).has_value());
  CHECK(parse_identity_key(key_with_nesting(255, 0x9f, true)).has_value());
  CHECK_FALSE(parse_identity_key(key_with_nesting(256, 0x9f, true)).has_value());
  // Tags nest like containers for ciborium (tag 6 uses libcbor's refused 0xc6 form).
  CHECK(parse_identity_key(key_with_nesting(255, 0xc6, false)).has_value());
  CHECK_FALSE(parse_identity_key(key_with_nesting(256, 0xc6, false)).has_value());
  // 100000 levels: refused, iteratively (no stack overflow).
  CHECK_FALSE(parse_identity_key(key_with_nesting(100000, 0x81, false)).has_value());
  CHECK_FALSE(parse_identity_key(key_with_nesting(100000, 0x9f, true)).has_value());
  CHECK_FALSE(parse_identity_key(key_with_nesting(100000, 0xa1, false)).has_value());
  CHECK(verify(v, key_with_nesting(100000, 0x81, false), v.sign1) == auth_failure::identity);
  // The same depth inside the unprotected header of COSE_Sign1 (array = 1, map = 2).
  auto sign1_with_nesting = [&](std::size_t levels) {
    byte_vector s = concat({byte_span(v.sign1).first(5), bytes_of({0xa1, 0x0a})});
    s.insert(s.end(), levels, 0x81);
    s.push_back(0x00);
    s.insert(s.end(), v.sign1.begin() + 6, v.sign1.end());
    return s;
  };
  CHECK(verify(v, v.key, sign1_with_nesting(254)) == auth_failure::none);
  CHECK(verify(v, v.key, sign1_with_nesting(255)) == auth_failure::cbor);
  CHECK(verify(v, v.key, sign1_with_nesting(100000)) == auth_failure::cbor);
}

TEST_CASE("encodings ciborium reads leniently are accepted", "[auth]") {
  const auto v = load_e1();
  const auto p = split_e1(v);
  const auto prot = bytes_of({0x43, 0xa1, 0x01, 0x27});
  // Indefinite outer array.
  CHECK(verify(v, v.key,
               concat({bytes_of({0x9f}), prot, bytes_of({0xa0, 0x58, 0x20}), p.payload,
                       bytes_of({0x58, 0x40}), p.signature, bytes_of({0xff})})) ==
        auth_failure::none);
  // Non-shortest payload length and a chunked (indefinite) signature.
  CHECK(verify(v, v.key,
               concat({bytes_of({0x84}), prot, bytes_of({0xa0, 0x59, 0x00, 0x20}), p.payload,
                       bytes_of({0x5f, 0x58, 0x20}), byte_span(p.signature).first(32),
                       bytes_of({0x58, 0x20}), byte_span(p.signature).subspan(32),
                       bytes_of({0xff})})) == auth_failure::none);
  // Protected alg -8 written as 38 07, and an indefinite unprotected map.
  CHECK(verify(v, v.key,
               concat({bytes_of({0x84, 0x44, 0xa1, 0x01, 0x38, 0x07, 0xbf, 0xff, 0x58, 0x20}),
                       p.payload, bytes_of({0x58, 0x40}), p.signature})) == auth_failure::none);
  // COSE_Key as an indefinite map with a non-shortest kty and text labels.
  const auto pk = byte_span(v.key).subspan(10);
  const auto key = concat({bytes_of({0xbf, 0x18, 0x01, 0x01, 0x03, 0x27, 0x63, 'f', 'o', 'o', 0xf6,
                                     0x21, 0x58, 0x20}),
                           pk, bytes_of({0xff})});
  CHECK(parse_identity_key(key).has_value());
  CHECK(verify(v, key, v.sign1) == auth_failure::none);
  // Unknown header labels may hold tags, floats and nested maps.
  CHECK(verify(v, v.key,
               concat({bytes_of({0x84}), prot,
                       bytes_of({0xa2, 0x0a, 0xd8, 0x20, 0xa1, 0x61, 'x', 0xf9, 0x3c, 0x00, 0x20,
                                 0xc2, 0x41, 0x01, 0x58, 0x20}),
                       p.payload, bytes_of({0x58, 0x40}), p.signature})) == auth_failure::none);
  // Undefined payload reads as nil: present-but-absent payload.
  CHECK(verify(v, v.key,
               concat({bytes_of({0x84}), prot, bytes_of({0xa0, 0xf7, 0x58, 0x40}), p.signature})) ==
        auth_failure::payload);
}

TEST_CASE("typed COSE positions are checked like coset does", "[auth]") {
  const auto v = load_e1();
  const auto p = split_e1(v);
  const auto pk = byte_span(v.key).subspan(10);
  auto sign1_with_unprotected = [&](byte_vector unprotected) {
    return concat({bytes_of({0x84, 0x43, 0xa1, 0x01, 0x27}), unprotected, bytes_of({0x58, 0x20}),
                   p.payload, bytes_of({0x58, 0x40}), p.signature});
  };
  auto sign1_with_protected = [&](byte_vector protected_map) {
    byte_vector s{0x84};
    s.push_back(static_cast<std::uint8_t>(0x40 + protected_map.size()));
    s.insert(s.end(), protected_map.begin(), protected_map.end());
    return concat({s, bytes_of({0xa0, 0x58, 0x20}), p.payload, bytes_of({0x58, 0x40}), p.signature});
  };
  // Tagged alg, bstr label, empty kid, kid as int, IV with partial IV, empty crit.
  CHECK(verify(v, v.key, sign1_with_protected({0xa1, 0x01, 0xd8, 0x20, 0x27})) == auth_failure::cbor);
  CHECK(verify(v, v.key, sign1_with_unprotected({0xa1, 0x41, 0x01, 0x00})) == auth_failure::cbor);
  CHECK(verify(v, v.key, sign1_with_unprotected({0xa1, 0x04, 0x40})) == auth_failure::cbor);
  CHECK(verify(v, v.key, sign1_with_unprotected({0xa1, 0x04, 0x05})) == auth_failure::cbor);
  CHECK(verify(v, v.key, sign1_with_unprotected({0xa2, 0x05, 0x41, 0x01, 0x06, 0x41, 0x01})) ==
        auth_failure::cbor);
  CHECK(verify(v, v.key, sign1_with_unprotected({0xa1, 0x02, 0x80})) == auth_failure::cbor);
  CHECK(verify(v, v.key, sign1_with_unprotected({0xa1, 0x02, 0x81, 0x01})) == auth_failure::none);
  CHECK(verify(v, v.key, sign1_with_unprotected({0xa1, 0x03, 0x62, 'a', 'b'})) == auth_failure::cbor);
  CHECK(verify(v, v.key, sign1_with_unprotected({0xa1, 0x03, 0x63, 'a', '/', 'b'})) ==
        auth_failure::none);
  // Duplicate labels compare by value: 01 and 18 01 are the same label.
  CHECK(verify(v, v.key, sign1_with_protected({0xa2, 0x01, 0x27, 0x18, 0x01, 0x27})) ==
        auth_failure::cbor);
  CHECK(verify(v, v.key, sign1_with_unprotected({0xa2, 0x61, 'x', 0x00, 0x61, 'x', 0x00})) ==
        auth_failure::cbor);
  // Invalid UTF-8 in a text label.
  CHECK(verify(v, v.key, sign1_with_unprotected({0xa1, 0x61, 0xff, 0x00})) == auth_failure::cbor);
  // Protected header that is not a map, or has trailing bytes.
  CHECK(verify(v, v.key, sign1_with_protected({0x80})) == auth_failure::cbor);
  CHECK(verify(v, v.key, sign1_with_protected({0xa1, 0x01, 0x27, 0x00})) == auth_failure::cbor);
  // Unassigned simple values are not CBOR ciborium reads.
  CHECK(verify(v, v.key, sign1_with_unprotected({0xa1, 0x0a, 0xe0})) == auth_failure::cbor);

  auto key_with = [&](byte_vector extra, std::uint8_t count) {
    return concat({bytes_of({count, 0x01, 0x01, 0x03, 0x27, 0x21, 0x58, 0x20}), pk, extra});
  };
  // kty: 0 (Reserved) and unregistered values are refused; text is fine.
  CHECK_FALSE(parse_identity_key(concat({bytes_of({0xa3, 0x01, 0x00, 0x03, 0x27, 0x21, 0x58, 0x20}), pk})));
  CHECK_FALSE(parse_identity_key(concat({bytes_of({0xa3, 0x01, 0x18, 0x63, 0x03, 0x27, 0x21, 0x58, 0x20}), pk})));
  CHECK(parse_identity_key(concat({bytes_of({0xa3, 0x01, 0x63, 'O', 'K', 'P', 0x03, 0x27, 0x21, 0x58, 0x20}), pk})));
  // Duplicate label via a non-shortest encoding, empty kid, key_ops rules.
  CHECK_FALSE(parse_identity_key(key_with({0x18, 0x03, 0x27}, 0xa4)));
  CHECK_FALSE(parse_identity_key(key_with({0x02, 0x40}, 0xa4)));
  CHECK(parse_identity_key(key_with({0x04, 0x82, 0x01, 0x02}, 0xa4)));
  CHECK_FALSE(parse_identity_key(key_with({0x04, 0x82, 0x02, 0x02}, 0xa4)));
  CHECK_FALSE(parse_identity_key(key_with({0x04, 0x80}, 0xa4)));
  CHECK_FALSE(parse_identity_key(key_with({0x04, 0x81, 0x18, 0x63}, 0xa4)));
  // A label out of i64 range, a float label, a tagged label.
  CHECK_FALSE(parse_identity_key(key_with({0x1b, 0x80, 0, 0, 0, 0, 0, 0, 0, 0x00}, 0xa4)));
  CHECK_FALSE(parse_identity_key(key_with({0xf9, 0x3c, 0x00, 0x00}, 0xa4)));
  CHECK_FALSE(parse_identity_key(key_with({0xc6, 0x0a, 0x00}, 0xa4)));
  // The -2 value must be a bstr; a tagged bstr is not one.
  CHECK_FALSE(parse_identity_key(concat({bytes_of({0xa3, 0x01, 0x01, 0x03, 0x27, 0x21, 0xd8, 0x40, 0x58, 0x20}), pk})));
  // Tagged COSE_Key.
  CHECK_FALSE(parse_identity_key(concat({bytes_of({0xd8, 0x65}), v.key})));
}

TEST_CASE("a counter signature header is parsed, not skipped", "[auth]") {
  const auto v = load_e1();
  const auto p = split_e1(v);
  auto sign1_with_unprotected = [&](byte_vector unprotected) {
    return concat({bytes_of({0x84, 0x43, 0xa1, 0x01, 0x27}), unprotected, bytes_of({0x58, 0x20}),
                   p.payload, bytes_of({0x58, 0x40}), p.signature});
  };
  // {7: [h'', {}, h'00']} and {7: [[h'', {}, h'00']]}
  CHECK(verify(v, v.key, sign1_with_unprotected({0xa1, 0x07, 0x83, 0x40, 0xa0, 0x41, 0x00})) ==
        auth_failure::none);
  CHECK(verify(v, v.key, sign1_with_unprotected({0xa1, 0x07, 0x81, 0x83, 0x40, 0xa0, 0x41, 0x00})) ==
        auth_failure::none);
  // Wrong arity, empty array, and a bad header inside.
  CHECK(verify(v, v.key, sign1_with_unprotected({0xa1, 0x07, 0x82, 0x40, 0xa0})) == auth_failure::cbor);
  CHECK(verify(v, v.key, sign1_with_unprotected({0xa1, 0x07, 0x80})) == auth_failure::cbor);
  CHECK(verify(v, v.key, sign1_with_unprotected({0xa1, 0x07, 0x83, 0x40, 0xa1, 0x04, 0x40, 0x41, 0x00})) ==
        auth_failure::cbor);
  CHECK(verify(v, v.key, sign1_with_unprotected({0xa1, 0x07, 0x83, 0x41, 0x80, 0xa0, 0x41, 0x00})) ==
        auth_failure::cbor);
}

TEST_CASE("parse_identity_key on every conformance identity", "[auth][keys]") {
  const auto ids = load_conformance("identities.json");
  int count = 0;
  for (const auto& id : ids["identities"].GetArray()) {
    INFO("identity " << id["name"].GetString());
    const auto parsed = parse_identity_key(hex_bytes(id["cose_key_hex"].GetString()));
    REQUIRE(parsed.has_value());
    CHECK(to_hex(parsed->bytes) == id["public_key_hex"].GetString());
    CHECK(to_hex(fingerprint_of(*parsed)) == id["fingerprint_hex"].GetString());
    const bool mldsa = std::string(id["alg"].GetString()) == "ML-DSA-65";
    CHECK(parsed->alg == (mldsa ? key_algorithm::ml_dsa_65 : key_algorithm::ed25519));
    ++count;
  }
  CHECK(count == 7);
}
