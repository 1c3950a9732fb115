// identity_key_pair against conformance/identities.json and auth.json.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include "conformance.hpp"
#include "relay/protocol/cose.hpp"
#include "relay/protocol/keys.hpp"
#include "relay/protocol/types.hpp"

using namespace relay::protocol;
using relay::test::hex_bytes;
using relay::test::identity_named;
using relay::test::load_conformance;

namespace {

bool is_mldsa(const rapidjson::Value& id) {
  return std::string(id["alg"].GetString()) == "ML-DSA-65";
}

key_algorithm algorithm_of(const rapidjson::Value& id) {
  return is_mldsa(id) ? key_algorithm::ml_dsa_65 : key_algorithm::ed25519;
}

identity_key_pair pair_from_seed(const rapidjson::Value& id) {
  const auto seed = hex_bytes(id["seed_hex"].GetString());
  REQUIRE(seed.size() == 32);
  return identity_key_pair::from_seed(algorithm_of(id), std::span<const std::uint8_t, 32>(seed));
}

// from_seed, from_cose and the encodings for the identities of one algorithm.
void check_identities(bool mldsa) {
  const auto ids = load_conformance("identities.json");
  int count = 0;
  for (const auto& id : ids["identities"].GetArray()) {
    if (is_mldsa(id) != mldsa) continue;
    ++count;
    INFO("identity " << id["name"].GetString());
    const auto pair = pair_from_seed(id);
    CHECK(pair.algorithm() == algorithm_of(id));
    CHECK(to_hex(pair.public_key_bytes()) == id["public_key_hex"].GetString());
    CHECK(to_hex(pair.cose_key_bytes()) == id["cose_key_hex"].GetString());
    CHECK(to_hex(pair.to_cose()) == id["key_file_cose_hex"].GetString());
    CHECK(to_hex(pair.fp()) == id["fingerprint_hex"].GetString());

    const auto file = hex_bytes(id["key_file_cose_hex"].GetString());
    const auto loaded = identity_key_pair::from_cose(file);
    REQUIRE(loaded.has_value());
    CHECK(loaded->algorithm() == algorithm_of(id));
    CHECK(loaded->to_cose() == file);
    CHECK(to_hex(loaded->cose_key_bytes()) == id["cose_key_hex"].GetString());
    CHECK(to_hex(loaded->fp()) == id["fingerprint_hex"].GetString());
  }
  CHECK(count == (mldsa ? 2 : 5));
}

// sign_challenge equals the reference client's output for the accept cases
// that are its output (not the lenient variants), and verifies.
void check_signing(bool mldsa) {
  const auto ids = load_conformance("identities.json");
  const auto auth = load_conformance("auth.json");
  int count = 0;
  for (const auto& c : auth["cases"].GetArray()) {
    if (std::string(c["expect"].GetString()) != "accept" || c.HasMember("lenient")) continue;
    const std::string name = c["name"].GetString();
    if (name.find("hedged") != std::string::npos) continue;  // randomised signature
    const auto& id = identity_named(ids, c["identity"].GetString());
    if (is_mldsa(id) != mldsa) continue;
    ++count;
    INFO("case " << name);
    const auto pair = pair_from_seed(id);
    const auto bytes = hex_bytes(c["challenge_hex"].GetString());
    challenge issued{};
    std::copy(bytes.begin(), bytes.end(), issued.begin());
    const auto sign1 = pair.sign_challenge(issued);
    CHECK(to_hex(sign1) == c["cose_sign1_hex"].GetString());
    verified_identity who{};
    CHECK(verify_challenge_response(issued, pair.cose_key_bytes(), sign1, who) == auth_failure::none);
    CHECK(who.fp == pair.fp());
  }
  CHECK(count == (mldsa ? 2 : 5));
}

}  // namespace

TEST_CASE("Ed25519 identities: from_seed and from_cose give the reference bytes", "[keys]") {
  check_identities(false);
}

TEST_CASE("ML-DSA-65 identities: from_seed and from_cose give the reference bytes", "[keys][mldsa65]") {
  check_identities(true);
}

TEST_CASE("Ed25519 sign_challenge reproduces the reference client's COSE_Sign1", "[keys][auth]") {
  check_signing(false);
}

TEST_CASE("ML-DSA-65 sign_challenge reproduces the reference client's COSE_Sign1", "[keys][mldsa65]") {
  check_signing(true);
}

TEST_CASE("from_cose refuses defective key files", "[keys]") {
  const auto ids = load_conformance("identities.json");
  const auto& id = identity_named(ids, "ed25519-1");
  const auto file = hex_bytes(id["key_file_cose_hex"].GetString());
  REQUIRE(identity_key_pair::from_cose(file).has_value());
  // a5 01 01 03 27 20 27 21 58 20 <pk 32> 23 58 20 <seed 32>
  REQUIRE(file.size() == 10 + 32 + 3 + 32);

  SECTION("a public key that is not the seed's") {
    auto bad = file;
    bad[10] ^= 0x01;
    CHECK_FALSE(identity_key_pair::from_cose(bad).has_value());
    // ed25519-2's public key with ed25519-1's seed
    const auto other = hex_bytes(identity_named(ids, "ed25519-2")["public_key_hex"].GetString());
    std::copy(other.begin(), other.end(), bad.begin() + 10);
    CHECK_FALSE(identity_key_pair::from_cose(bad).has_value());
  }
  SECTION("every truncation") {
    for (std::size_t n = 0; n < file.size(); ++n) {
      INFO("prefix of " << n << " bytes");
      byte_vector prefix(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(n));
      CHECK_FALSE(identity_key_pair::from_cose(prefix).has_value());
    }
  }
  SECTION("trailing bytes") {
    auto bad = file;
    bad.push_back(0x00);
    CHECK_FALSE(identity_key_pair::from_cose(bad).has_value());
    bad.back() = 0xa0;
    CHECK_FALSE(identity_key_pair::from_cose(bad).has_value());
  }
  SECTION("missing or short seed, wrong kty, public key file") {
    CHECK_FALSE(identity_key_pair::from_cose(hex_bytes(id["cose_key_hex"].GetString())).has_value());
    auto short_seed = file;
    short_seed.pop_back();
    short_seed[10 + 32 + 2] = 0x1f;  // 58 1f: 31-byte seed
    short_seed[0] = 0xa5;
    CHECK_FALSE(identity_key_pair::from_cose(short_seed).has_value());
    auto wrong_kty = file;
    wrong_kty[2] = 0x02;  // EC2
    CHECK_FALSE(identity_key_pair::from_cose(wrong_kty).has_value());
    auto wrong_alg = file;
    wrong_alg[4] = 0x26;  // -7
    CHECK_FALSE(identity_key_pair::from_cose(wrong_alg).has_value());
  }
  SECTION("duplicate seed label") {
    auto dup = file;
    dup[0] = 0xa6;
    dup.insert(dup.end(), file.end() - 35, file.end());
    CHECK_FALSE(identity_key_pair::from_cose(dup).has_value());
  }
}

TEST_CASE("generated Ed25519 key pairs sign challenges the relay accepts", "[keys]") {
  const auto a = identity_key_pair::generate(key_algorithm::ed25519);
  const auto b = identity_key_pair::generate(key_algorithm::ed25519);
  CHECK(a.public_key_bytes() != b.public_key_bytes());
  CHECK(a.public_key_bytes().size() == 32);
  challenge issued{};
  issued.fill(0x42);
  verified_identity who{};
  CHECK(verify_challenge_response(issued, a.cose_key_bytes(), a.sign_challenge(issued), who) ==
        auth_failure::none);
  CHECK(who.fp == a.fp());
  // b's signature does not pass as a's.
  CHECK(verify_challenge_response(issued, a.cose_key_bytes(), b.sign_challenge(issued), who) ==
        auth_failure::signature);
  const auto reloaded = identity_key_pair::from_cose(a.to_cose());
  REQUIRE(reloaded.has_value());
  CHECK(reloaded->public_key_bytes() == a.public_key_bytes());
  CHECK(reloaded->sign_challenge(issued) == a.sign_challenge(issued));
}

TEST_CASE("generated ML-DSA-65 key pairs sign challenges the relay accepts", "[keys][mldsa65]") {
  const auto a = identity_key_pair::generate(key_algorithm::ml_dsa_65);
  CHECK(a.public_key_bytes().size() == 1952);
  challenge issued{};
  issued.fill(0x17);
  verified_identity who{};
  CHECK(verify_challenge_response(issued, a.cose_key_bytes(), a.sign_challenge(issued), who) ==
        auth_failure::none);
  CHECK(who.alg == key_algorithm::ml_dsa_65);
  const auto reloaded = identity_key_pair::from_cose(a.to_cose());
  REQUIRE(reloaded.has_value());
  CHECK(reloaded->public_key_bytes() == a.public_key_bytes());
}
