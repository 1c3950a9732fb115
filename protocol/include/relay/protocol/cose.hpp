// Strict COSE parsing (RFC 9052 structures, as coset 0.4 parses them) of the
// two byte strings a client authenticates with, and the challenge-response
// check of the reference's `ChallengeResponse::verify`.
#pragma once

#include <optional>

#include "relay/protocol/types.hpp"

namespace relay::protocol {

/// The identity algorithms the protocol knows (COSE alg values).
enum class key_algorithm : std::uint8_t {
  ed25519,    ///< COSE alg -8 (EdDSA), OKP key, public key at label -2, 32 bytes
  ml_dsa_65,  ///< COSE alg -49, AKP key (kty 7), public key at label -1, 1952 bytes
};

/// Why an authentication response was refused; names follow the
/// conformance vectors' `failure` field.
enum class auth_failure : std::uint8_t {
  none = 0,
  cbor,       ///< COSE_Sign1 is not a well-formed untagged COSE_Sign1
  alg,        ///< protected alg missing, unsupported, or not the key's alg
  payload,    ///< payload absent or not byte-for-byte the challenge
  identity,   ///< COSE_Key malformed, unsupported, or without a usable public key
  signature,  ///< wrong signature length or the signature does not verify
};

const char* to_string(auth_failure f) noexcept;

/// A public key extracted from a COSE_Key.
struct public_key {
  key_algorithm alg = key_algorithm::ed25519;
  byte_vector bytes;  ///< 32 (Ed25519) or 1952 (ML-DSA-65) bytes
};

/// The result of a successful verification.
struct verified_identity {
  key_algorithm alg = key_algorithm::ed25519;
  fingerprint fp{};  ///< SHA-256 of the raw public key
};

/// Parses an identity COSE_Key (strict CBOR, no trailing bytes, no duplicate
/// labels, kty present, alg -8 or -49, public key of the exact length).
std::optional<public_key> parse_identity_key(byte_span cose_key_bytes) noexcept;

/// SHA-256 of the raw public key.
fingerprint fingerprint_of(const public_key& key) noexcept;

/// Verifies a challenge response exactly in the reference's order (see
/// conformance/README.md): COSE_Sign1 parse, protected alg, COSE_Key parse
/// and alg match, payload == challenge, key and signature lengths,
/// signature over the raw challenge. Small-order Ed25519 keys are refused
/// (libsodium), although the reference would accept them.
auth_failure verify_challenge_response(const challenge& issued, byte_span cose_key_bytes,
                                       byte_span cose_sign1_bytes,
                                       verified_identity& out) noexcept;

}  // namespace relay::protocol
