// Identity key pairs for clients: generation, the reference's COSE key-file
// format (`IdentityKeyPair::to_cose`), the public COSE_Key a client sends,
// and signing a challenge into the untagged COSE_Sign1 the relay expects.
#pragma once

#include <memory>
#include <optional>

#include "relay/protocol/cose.hpp"

namespace relay::protocol {

class identity_key_pair {
 public:
  /// A fresh key pair from the CSPRNG.
  static identity_key_pair generate(key_algorithm alg);

  /// Deterministic key pair from a 32-byte seed (Ed25519: RFC 8032 private
  /// seed; ML-DSA-65: xi of ML-DSA.KeyGen_internal).
  static identity_key_pair from_seed(key_algorithm alg, std::span<const std::uint8_t, 32> seed);

  /// Loads a key file as the reference writes it; nullopt on any defect
  /// (including a public key that does not match the seed).
  static std::optional<identity_key_pair> from_cose(byte_span key_file);

  /// The key file bytes (`IdentityKeyPair::to_cose`): Ed25519
  /// {1:1,3:-8,-1:-8,-2:pk,-4:seed}; ML-DSA-65 {1:7,3:-49,-1:pk,-2:seed}.
  byte_vector to_cose() const;

  /// The public COSE_Key the client sends as its identity, byte for byte as
  /// the reference client does: Ed25519 {1:1,3:-8,-1:-8,-2:pk};
  /// ML-DSA-65 {1:7,3:-49,-1:pk}.
  byte_vector cose_key_bytes() const;

  /// Untagged COSE_Sign1 [<<{1:alg}>>, {}, challenge, signature] with the
  /// signature over the raw challenge bytes (ML-DSA-65: deterministic,
  /// empty context).
  byte_vector sign_challenge(const challenge& c) const;

  key_algorithm algorithm() const noexcept { return alg_; }
  const byte_vector& public_key_bytes() const noexcept { return public_key_; }
  fingerprint fp() const noexcept;

  identity_key_pair(const identity_key_pair&) = default;
  identity_key_pair& operator=(const identity_key_pair&) = default;
  identity_key_pair(identity_key_pair&&) = default;
  identity_key_pair& operator=(identity_key_pair&&) = default;
  ~identity_key_pair();

 private:
  identity_key_pair() = default;
  key_algorithm alg_ = key_algorithm::ed25519;
  std::array<std::uint8_t, 32> seed_{};
  byte_vector public_key_;
  byte_vector secret_key_;  ///< libsodium's 64-byte sk, or ML-DSA-65's 4032-byte sk
};

}  // namespace relay::protocol
