// ML-DSA-65 (FIPS 204 final): the conformance vectors from ../shared,
// round trips, and rejection of tampered, truncated or malformed inputs.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <string>

#include "conformance.hpp"
#include "relay/protocol/mldsa65.hpp"

using namespace relay::protocol;
using relay::test::hex_bytes;
using relay::test::identity_named;
using relay::test::load_conformance;

namespace {

using public_key = std::array<std::uint8_t, mldsa65::public_key_size>;
using secret_key = std::array<std::uint8_t, mldsa65::secret_key_size>;
using signature = std::array<std::uint8_t, mldsa65::signature_size>;

constexpr std::size_t omega = 55;
constexpr std::size_t k_rows = 6;
constexpr std::size_t hint_offset = mldsa65::signature_size - omega - k_rows;  // 3248

struct KeyPair {
  public_key pk{};
  secret_key sk{};
};

KeyPair keygen_from(const byte_vector& seed) {
  REQUIRE(seed.size() == mldsa65::seed_size);
  KeyPair kp;
  mldsa65::keygen(std::span<const std::uint8_t, mldsa65::seed_size>(seed.data(), seed.size()),
                  kp.pk, kp.sk);
  return kp;
}

KeyPair keygen_from_index(int i) {
  byte_vector seed(32);
  for (std::size_t j = 0; j < seed.size(); ++j) seed[j] = static_cast<std::uint8_t>(i * 37 + j * 11 + 1);
  return keygen_from(seed);
}

// Test-only extraction from the well-formed shapes the reference client emits:
// COSE_Sign1 `84 44 a1 01 38 30 a0 58 20 <32> 59 <len16> <sig>` and
// COSE_Key `a3 01 07 03 38 30 20 59 <len16> <pk>`. Anything else: nullopt.
std::optional<byte_vector> signature_from_cose_sign1(const byte_vector& b) {
  static constexpr std::uint8_t head[] = {0x84, 0x44, 0xa1, 0x01, 0x38, 0x30, 0xa0, 0x58, 0x20};
  if (b.size() < 44 || !std::equal(std::begin(head), std::end(head), b.begin())) return std::nullopt;
  if (b[41] != 0x59) return std::nullopt;
  const std::size_t len = (std::size_t{b[42]} << 8) | b[43];
  if (b.size() != 44 + len) return std::nullopt;
  return byte_vector(b.begin() + 44, b.end());
}

std::optional<byte_vector> public_key_from_cose_key(const byte_vector& b) {
  static constexpr std::uint8_t head[] = {0xa3, 0x01, 0x07, 0x03, 0x38, 0x30, 0x20, 0x59};
  if (b.size() < 10 || !std::equal(std::begin(head), std::end(head), b.begin())) return std::nullopt;
  const std::size_t len = (std::size_t{b[8]} << 8) | b[9];
  if (b.size() != 10 + len) return std::nullopt;
  return byte_vector(b.begin() + 10, b.end());
}

const rapidjson::Value& case_named(const rapidjson::Document& auth, const std::string& name) {
  for (const auto& c : auth["cases"].GetArray())
    if (name == c["name"].GetString()) return c;
  FAIL("no auth case named " << name);
  throw std::logic_error("unreachable");
}

struct SigCase {
  byte_vector pk;
  byte_vector challenge;
  byte_vector sig;
};

SigCase extract(const rapidjson::Value& c) {
  INFO(c["name"].GetString());
  auto pk = public_key_from_cose_key(hex_bytes(c["identity_cose_key_hex"].GetString()));
  auto sig = signature_from_cose_sign1(hex_bytes(c["cose_sign1_hex"].GetString()));
  REQUIRE(pk.has_value());
  REQUIRE(sig.has_value());
  return {*pk, hex_bytes(c["challenge_hex"].GetString()), *sig};
}

std::string_view as_text(const char* s) { return s; }

}  // namespace

TEST_CASE("ML-DSA-65 keygen reproduces the conformance public keys", "[mldsa65]") {
  const auto ids = load_conformance("identities.json");
  for (const char* name : {"mldsa65-1", "mldsa65-2"}) {
    INFO(name);
    const auto& id = identity_named(ids, name);
    const auto kp = keygen_from(hex_bytes(id["seed_hex"].GetString()));
    const auto expected = hex_bytes(id["public_key_hex"].GetString());
    REQUIRE(expected.size() == mldsa65::public_key_size);
    CHECK(byte_vector(kp.pk.begin(), kp.pk.end()) == expected);
  }
}

TEST_CASE("ML-DSA-65 deterministic signatures reproduce the conformance vectors", "[mldsa65]") {
  const auto ids = load_conformance("identities.json");
  const auto auth = load_conformance("auth.json");
  const std::pair<const char*, const char*> cases[] = {
      {"mldsa65/accept/m1-chal1", "mldsa65-1"},
      {"mldsa65/accept/m2-chal2", "mldsa65-2"},
  };
  for (const auto& [case_name, id_name] : cases) {
    INFO(case_name);
    const auto& c = case_named(auth, case_name);
    REQUIRE(as_text(c["identity"].GetString()) == id_name);
    const auto kp = keygen_from(hex_bytes(identity_named(ids, id_name)["seed_hex"].GetString()));
    const auto v = extract(c);
    signature sig{};
    mldsa65::sign_deterministic(kp.sk, v.challenge, sig);
    CHECK(byte_vector(sig.begin(), sig.end()) == v.sig);

    // The deterministic variant is the general one with ctx = "" and rnd = 0^32.
    signature sig2{};
    const std::array<std::uint8_t, mldsa65::rnd_size> zero{};
    REQUIRE(mldsa65::sign_with_context(kp.sk, v.challenge, {}, zero, sig2));
    CHECK(sig2 == sig);
  }
}

TEST_CASE("ML-DSA-65 conformance cases verify as the reference decides", "[mldsa65]") {
  const auto auth = load_conformance("auth.json");
  // Cases whose outcome is decided by the ML-DSA-65 signature check itself
  // (or the key / signature length), with the reference's verdict.
  const std::pair<const char*, bool> cases[] = {
      {"mldsa65/accept/m1-chal1", true},
      {"mldsa65/accept/m2-chal2", true},
      {"mldsa65/accept/m1-chal3-hedged", true},
      {"mldsa65/reject/sig-bit-flip", false},
      {"mldsa65/reject/signed-by-other-key", false},
      {"mldsa65/reject/payload-is-other-challenge", false},
      {"mldsa65/reject/context-non-empty", false},
      {"mldsa65/reject/sig-3308-bytes", false},
      {"mldsa65/reject/sig-3310-bytes", false},
      {"mldsa65/reject/key-pk-1951-bytes", false},
  };
  std::size_t accepts_listed = 0;
  for (const auto& [name, accept] : cases) {
    INFO(name);
    const auto& c = case_named(auth, name);
    CHECK((as_text(c["expect"].GetString()) == "accept") == accept);
    const auto v = extract(c);
    CHECK(mldsa65::verify(v.pk, v.challenge, v.sig) == accept);
    if (accept) ++accepts_listed;
  }
  // Every ML-DSA-65 accept case in the file is among the ones above.
  std::size_t accepts_in_file = 0;
  for (const auto& c : auth["cases"].GetArray()) {
    const std::string name = c["name"].GetString();
    if (name.rfind("mldsa65/", 0) == 0 && as_text(c["expect"].GetString()) == "accept")
      ++accepts_in_file;
  }
  CHECK(accepts_in_file == accepts_listed);

  SECTION("the context-non-empty signature is valid under ctx \"ap-relay\"") {
    const auto v = extract(case_named(auth, "mldsa65/reject/context-non-empty"));
    const std::string ctx = "ap-relay";
    const byte_span ctx_bytes(reinterpret_cast<const std::uint8_t*>(ctx.data()), ctx.size());
    CHECK(mldsa65::verify_with_context(v.pk, v.challenge, ctx_bytes, v.sig));
    CHECK_FALSE(mldsa65::verify_with_context(v.pk, v.challenge, {}, v.sig));
  }
}

TEST_CASE("ML-DSA-65 keygen -> sign -> verify round trips", "[mldsa65]") {
  for (int i = 0; i < 20; ++i) {
    INFO("seed index " << i);
    const auto kp = keygen_from_index(i);
    byte_vector msg(static_cast<std::size_t>(i * 13), static_cast<std::uint8_t>(i));
    signature sig{};
    mldsa65::sign_deterministic(kp.sk, msg, sig);
    CHECK(mldsa65::verify(kp.pk, msg, sig));
    // Deterministic: same output twice.
    signature again{};
    mldsa65::sign_deterministic(kp.sk, msg, again);
    CHECK(again == sig);
    // Hedged signing (random-looking rnd) differs but verifies.
    std::array<std::uint8_t, mldsa65::rnd_size> rnd{};
    for (std::size_t j = 0; j < rnd.size(); ++j) rnd[j] = static_cast<std::uint8_t>(j * 7 + i);
    signature hedged{};
    REQUIRE(mldsa65::sign_with_context(kp.sk, msg, {}, rnd, hedged));
    CHECK(hedged != sig);
    CHECK(mldsa65::verify(kp.pk, msg, hedged));
    // A context separates domains in both directions.
    const std::uint8_t ctx[] = {'c', 't', 'x'};
    signature with_ctx{};
    REQUIRE(mldsa65::sign_with_context(kp.sk, msg, ctx, rnd, with_ctx));
    CHECK(mldsa65::verify_with_context(kp.pk, msg, ctx, with_ctx));
    CHECK_FALSE(mldsa65::verify(kp.pk, msg, with_ctx));
    CHECK_FALSE(mldsa65::verify_with_context(kp.pk, msg, ctx, sig));
  }
}

TEST_CASE("ML-DSA-65 rejects single bit flips in signature, key and message", "[mldsa65]") {
  const auto kp = keygen_from_index(1000);
  const byte_vector msg = {'h', 'e', 'l', 'l', 'o', ' ', 'r', 'e', 'l', 'a', 'y'};
  signature sig{};
  mldsa65::sign_deterministic(kp.sk, msg, sig);
  REQUIRE(mldsa65::verify(kp.pk, msg, sig));

  SECTION("signature: one bit in every byte (c~, z and hint area)") {
    int rejected = 0;
    for (std::size_t pos = 0; pos < sig.size(); ++pos) {
      auto bad = sig;
      bad[pos] ^= static_cast<std::uint8_t>(1u << (pos % 8));
      const bool ok = mldsa65::verify(kp.pk, msg, bad);
      if (ok) FAIL_CHECK("accepted with bit " << pos % 8 << " of byte " << pos << " flipped");
      rejected += ok ? 0 : 1;
    }
    CHECK(rejected == static_cast<int>(sig.size()));
  }
  SECTION("signature: every bit of the hint area") {
    for (std::size_t pos = hint_offset; pos < sig.size(); ++pos) {
      for (int bit = 0; bit < 8; ++bit) {
        auto bad = sig;
        bad[pos] ^= static_cast<std::uint8_t>(1u << bit);
        INFO("byte " << pos << " bit " << bit);
        CHECK_FALSE(mldsa65::verify(kp.pk, msg, bad));
      }
    }
  }
  SECTION("public key: 200 positions") {
    for (int i = 0; i < 200; ++i) {
      const std::size_t pos = static_cast<std::size_t>(i) * kp.pk.size() / 200;
      auto bad = kp.pk;
      bad[pos] ^= static_cast<std::uint8_t>(1u << (i % 8));
      INFO("pk byte " << pos);
      CHECK_FALSE(mldsa65::verify(bad, msg, sig));
    }
  }
  SECTION("message: every bit") {
    for (std::size_t pos = 0; pos < msg.size(); ++pos) {
      for (int bit = 0; bit < 8; ++bit) {
        auto bad = msg;
        bad[pos] ^= static_cast<std::uint8_t>(1u << bit);
        INFO("msg byte " << pos << " bit " << bit);
        CHECK_FALSE(mldsa65::verify(kp.pk, bad, sig));
      }
    }
  }
}

TEST_CASE("ML-DSA-65 rejects truncated and extended inputs", "[mldsa65]") {
  const auto kp = keygen_from_index(2000);
  const byte_vector msg(32, 0x42);
  signature sig{};
  mldsa65::sign_deterministic(kp.sk, msg, sig);
  REQUIRE(mldsa65::verify(kp.pk, msg, sig));

  const byte_vector sig_v(sig.begin(), sig.end());
  const byte_vector pk_v(kp.pk.begin(), kp.pk.end());
  for (std::size_t len : {std::size_t{0}, std::size_t{1}, std::size_t{48}, sig.size() - 61,
                          sig.size() - 1}) {
    INFO("signature length " << len);
    CHECK_FALSE(mldsa65::verify(kp.pk, msg, byte_span(sig_v.data(), len)));
  }
  for (std::size_t len : {std::size_t{0}, std::size_t{32}, pk_v.size() - 1}) {
    INFO("public key length " << len);
    CHECK_FALSE(mldsa65::verify(byte_span(pk_v.data(), len), msg, sig));
  }
  auto longer_sig = sig_v;
  longer_sig.push_back(0);
  CHECK_FALSE(mldsa65::verify(kp.pk, msg, longer_sig));
  auto longer_pk = pk_v;
  longer_pk.push_back(0);
  CHECK_FALSE(mldsa65::verify(longer_pk, msg, sig));
  CHECK_FALSE(mldsa65::verify(kp.pk, byte_span(msg.data(), msg.size() - 1), sig));
  auto longer_msg = msg;
  longer_msg.push_back(0);
  CHECK_FALSE(mldsa65::verify(kp.pk, longer_msg, sig));
  CHECK_FALSE(mldsa65::verify(kp.pk, byte_span{}, sig));
  CHECK_FALSE(mldsa65::verify({}, {}, {}));

  // Contexts longer than 255 bytes are refused on both sides.
  const byte_vector long_ctx(256, 1);
  std::array<std::uint8_t, mldsa65::rnd_size> rnd{};
  signature untouched{};
  CHECK_FALSE(mldsa65::sign_with_context(kp.sk, msg, long_ctx, rnd, untouched));
  CHECK(untouched == signature{});
  CHECK_FALSE(mldsa65::verify_with_context(kp.pk, msg, long_ctx, sig));
  CHECK(mldsa65::verify_with_context(kp.pk, msg, {}, sig));
}

TEST_CASE("ML-DSA-65 rejects malformed hint encodings", "[mldsa65]") {
  // Find a signature whose hints leave padding and have a row with 2+ entries.
  const auto kp = keygen_from_index(3000);
  byte_vector msg = {0};
  signature sig{};
  const std::uint8_t* hints = nullptr;
  std::size_t row_with_two = k_rows;
  for (int attempt = 0; attempt < 100; ++attempt) {
    msg[0] = static_cast<std::uint8_t>(attempt);
    mldsa65::sign_deterministic(kp.sk, msg, sig);
    hints = sig.data() + hint_offset;
    row_with_two = k_rows;
    std::size_t prev = 0;
    for (std::size_t i = 0; i < k_rows; ++i) {
      if (hints[omega + i] - prev >= 2 && row_with_two == k_rows) row_with_two = i;
      prev = hints[omega + i];
    }
    if (hints[omega + k_rows - 1] < omega && row_with_two < k_rows && hints[omega] > 0) break;
  }
  REQUIRE(mldsa65::verify(kp.pk, msg, sig));
  const std::size_t total = hints[omega + k_rows - 1];
  REQUIRE(total < omega);
  REQUIRE(row_with_two < k_rows);
  const std::size_t row_start = row_with_two == 0 ? 0 : hints[omega + row_with_two - 1];
  const std::size_t a = hint_offset + row_start;  // first index of that row

  auto rejects = [&](auto mutate) {
    auto bad = sig;
    mutate(bad);
    return !mldsa65::verify(kp.pk, msg, bad);
  };
  // Final cumulative count above omega.
  CHECK(rejects([&](signature& s) { s[hint_offset + omega + k_rows - 1] = omega + 1; }));
  CHECK(rejects([&](signature& s) { s[hint_offset + omega + k_rows - 1] = 0xFF; }));
  // Any count above omega.
  CHECK(rejects([&](signature& s) { s[hint_offset + omega] = omega + 1; }));
  // Cumulative counts not monotone.
  CHECK(rejects([&](signature& s) {
    s[hint_offset + omega + 1] = static_cast<std::uint8_t>(s[hint_offset + omega] - 1);
  }));
  // Indices within a row not strictly increasing: swapped, then duplicated.
  CHECK(rejects([&](signature& s) { std::swap(s[a], s[a + 1]); }));
  CHECK(rejects([&](signature& s) { s[a + 1] = s[a]; }));
  // Non-zero padding after the last used index, at both ends of the padding.
  CHECK(rejects([&](signature& s) { s[hint_offset + total] = 1; }));
  CHECK(rejects([&](signature& s) { s[hint_offset + omega - 1] = 0x80; }));
  // Claiming one more hint in the last row: its index is the padding byte 0,
  // so it is either not increasing or it changes w1 (and so c~).
  CHECK(rejects([&](signature& s) { s[hint_offset + omega + k_rows - 1] += 1; }));
  // z coefficient at the norm bound gamma1 - beta (encoded gamma1 - z = 196).
  CHECK(rejects([&](signature& s) {
    s[48] = 196;
    s[49] = 0;
    s[50] = static_cast<std::uint8_t>(s[50] & 0xF0);
  }));
}
