#include "relay/protocol/keys.hpp"

#include <stdexcept>

#include <sodium.h>

#include "cbor_reader.hpp"
#include "cbor_writer.hpp"
#include "cose_parse.hpp"
#include "relay/protocol/crypto.hpp"
#include "relay/protocol/mldsa65.hpp"

namespace relay::protocol {

namespace {

constexpr std::int64_t alg_eddsa = -8;
constexpr std::int64_t alg_ml_dsa_65 = -49;
constexpr std::int64_t kty_okp = 1;
constexpr std::int64_t kty_akp = 7;
constexpr std::size_t ed25519_signature_size = 64;

// COSE labels
constexpr std::int64_t label_kty = 1;
constexpr std::int64_t label_alg = 3;
constexpr std::int64_t header_label_alg = 1;  // in a COSE header map

void ensure_crypto() {
  if (!crypto_init()) throw std::runtime_error("libsodium initialisation failed");
}

// The protected header <<{1: alg}>> as the reference client writes it.
byte_vector protected_header(key_algorithm alg) {
  byte_vector map;
  cbor::write_head(map, cbor::major_type::map, 1);
  cbor::write_int(map, header_label_alg);
  cbor::write_int(map, alg == key_algorithm::ed25519 ? alg_eddsa : alg_ml_dsa_65);
  return map;
}

}  // namespace

identity_key_pair identity_key_pair::generate(key_algorithm alg) {
  ensure_crypto();
  std::array<std::uint8_t, 32> seed{};
  random_bytes(seed);
  auto pair = from_seed(alg, seed);
  sodium_memzero(seed.data(), seed.size());
  return pair;
}

identity_key_pair identity_key_pair::from_seed(key_algorithm alg,
                                               std::span<const std::uint8_t, 32> seed) {
  ensure_crypto();
  identity_key_pair kp;
  kp.alg_ = alg;
  std::copy(seed.begin(), seed.end(), kp.seed_.begin());
  if (alg == key_algorithm::ed25519) {
    kp.public_key_.resize(crypto_sign_PUBLICKEYBYTES);
    kp.secret_key_.resize(crypto_sign_SECRETKEYBYTES);
    if (crypto_sign_seed_keypair(kp.public_key_.data(), kp.secret_key_.data(), kp.seed_.data()) !=
        0) {
      throw std::runtime_error("crypto_sign_seed_keypair failed");
    }
  } else {
    kp.public_key_.resize(mldsa65::public_key_size);
    kp.secret_key_.resize(mldsa65::secret_key_size);
    mldsa65::keygen(kp.seed_, std::span<std::uint8_t, mldsa65::public_key_size>(kp.public_key_),
                    std::span<std::uint8_t, mldsa65::secret_key_size>(kp.secret_key_));
  }
  return kp;
}

std::optional<identity_key_pair> identity_key_pair::from_cose(byte_span key_file) {
  cbor::string_storage storage;
  detail::cose_key_fields key;
  if (!detail::parse_cose_key(key_file, storage, key)) return std::nullopt;
  if (!key.kty_is_int || !key.has_alg || !key.alg_is_int) return std::nullopt;

  key_algorithm alg{};
  std::optional<byte_span> pk, seed;
  if (key.alg == alg_eddsa && key.kty == kty_okp) {
    alg = key_algorithm::ed25519;
    pk = key.minus2;
    seed = key.minus4;
    if (!pk || pk->size() != crypto_sign_PUBLICKEYBYTES) return std::nullopt;
  } else if (key.alg == alg_ml_dsa_65 && key.kty == kty_akp) {
    alg = key_algorithm::ml_dsa_65;
    pk = key.minus1;
    seed = key.minus2;
    if (!pk || pk->size() != mldsa65::public_key_size) return std::nullopt;
  } else {
    return std::nullopt;
  }
  if (!seed || seed->size() != 32) return std::nullopt;

  auto pair = from_seed(alg, seed->first<32>());
  if (pair.public_key_.size() != pk->size() ||
      sodium_memcmp(pair.public_key_.data(), pk->data(), pk->size()) != 0) {
    return std::nullopt;  // the stored public key is not the seed's
  }
  // The key file's seed may have been copied into storage (indefinite bstr).
  for (auto& chunk : storage) sodium_memzero(chunk.data(), chunk.size());
  return pair;
}

byte_vector identity_key_pair::cose_key_bytes() const {
  byte_vector out;
  if (alg_ == key_algorithm::ed25519) {
    // {1: 1, 3: -8, -1: -8, -2: pk}: the reference writes alg into crv.
    cbor::write_head(out, cbor::major_type::map, 4);
    cbor::write_int(out, label_kty);
    cbor::write_int(out, kty_okp);
    cbor::write_int(out, label_alg);
    cbor::write_int(out, alg_eddsa);
    cbor::write_int(out, -1);
    cbor::write_int(out, alg_eddsa);
    cbor::write_int(out, -2);
    cbor::write_bytes(out, public_key_);
  } else {
    // {1: 7, 3: -49, -1: pk}
    cbor::write_head(out, cbor::major_type::map, 3);
    cbor::write_int(out, label_kty);
    cbor::write_int(out, kty_akp);
    cbor::write_int(out, label_alg);
    cbor::write_int(out, alg_ml_dsa_65);
    cbor::write_int(out, -1);
    cbor::write_bytes(out, public_key_);
  }
  return out;
}

byte_vector identity_key_pair::to_cose() const {
  byte_vector out;
  if (alg_ == key_algorithm::ed25519) {
    // {1: 1, 3: -8, -1: -8, -2: pk, -4: seed}
    cbor::write_head(out, cbor::major_type::map, 5);
    cbor::write_int(out, label_kty);
    cbor::write_int(out, kty_okp);
    cbor::write_int(out, label_alg);
    cbor::write_int(out, alg_eddsa);
    cbor::write_int(out, -1);
    cbor::write_int(out, alg_eddsa);
    cbor::write_int(out, -2);
    cbor::write_bytes(out, public_key_);
    cbor::write_int(out, -4);
    cbor::write_bytes(out, seed_);
  } else {
    // {1: 7, 3: -49, -1: pk, -2: seed}
    cbor::write_head(out, cbor::major_type::map, 4);
    cbor::write_int(out, label_kty);
    cbor::write_int(out, kty_akp);
    cbor::write_int(out, label_alg);
    cbor::write_int(out, alg_ml_dsa_65);
    cbor::write_int(out, -1);
    cbor::write_bytes(out, public_key_);
    cbor::write_int(out, -2);
    cbor::write_bytes(out, seed_);
  }
  return out;
}

byte_vector identity_key_pair::sign_challenge(const challenge& c) const {
  byte_vector signature;
  if (alg_ == key_algorithm::ed25519) {
    ensure_crypto();
    signature.resize(ed25519_signature_size);
    crypto_sign_detached(signature.data(), nullptr, c.data(), c.size(), secret_key_.data());
  } else {
    signature.resize(mldsa65::signature_size);
    mldsa65::sign_deterministic(
        std::span<const std::uint8_t, mldsa65::secret_key_size>(secret_key_),
        byte_span{c.data(), c.size()},
        std::span<std::uint8_t, mldsa65::signature_size>(signature));
  }
  // [<<{1: alg}>>, {}, challenge, signature]
  byte_vector out;
  out.reserve(16 + c.size() + signature.size());
  cbor::write_head(out, cbor::major_type::array, 4);
  cbor::write_bytes(out, protected_header(alg_));
  cbor::write_head(out, cbor::major_type::map, 0);
  cbor::write_bytes(out, byte_span{c.data(), c.size()});
  cbor::write_bytes(out, signature);
  return out;
}

fingerprint identity_key_pair::fp() const noexcept {
  crypto_init();
  return sha256(public_key_);
}

identity_key_pair::~identity_key_pair() {
  sodium_memzero(seed_.data(), seed_.size());
  if (!secret_key_.empty()) sodium_memzero(secret_key_.data(), secret_key_.size());
}

}  // namespace relay::protocol
