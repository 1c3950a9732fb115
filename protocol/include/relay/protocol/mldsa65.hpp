// ML-DSA-65 (FIPS 204, final): key generation from a seed, deterministic
// signing and verification, each with an empty context string.
// Verification is safe on hostile input of any length.
#pragma once

#include "relay/protocol/types.hpp"

namespace relay::protocol::mldsa65 {

inline constexpr std::size_t seed_size = 32;
inline constexpr std::size_t public_key_size = 1952;
inline constexpr std::size_t secret_key_size = 4032;
inline constexpr std::size_t signature_size = 3309;

/// ML-DSA.KeyGen_internal(xi): writes the encoded public and secret keys.
void keygen(std::span<const std::uint8_t, seed_size> xi,
            std::span<std::uint8_t, public_key_size> pk,
            std::span<std::uint8_t, secret_key_size> sk) noexcept;

/// ML-DSA.Sign with ctx = "" and rnd = 0^32 (deterministic variant).
void sign_deterministic(std::span<const std::uint8_t, secret_key_size> sk, byte_span message,
                        std::span<std::uint8_t, signature_size> sig) noexcept;

/// ML-DSA.Verify with ctx = "". False on any length or encoding defect.
bool verify(byte_span pk, byte_span message, byte_span sig) noexcept;

inline constexpr std::size_t rnd_size = 32;
inline constexpr std::size_t max_context_size = 255;

/// ML-DSA.Sign with an explicit context string and signing randomness rnd
/// (rnd = 0^32 is the deterministic variant; a fresh random rnd gives the
/// hedged variant). Returns false, leaving sig untouched, when the context
/// is longer than 255 bytes. Used by tests; the relay only needs the
/// functions above.
bool sign_with_context(std::span<const std::uint8_t, secret_key_size> sk, byte_span message,
                       byte_span context, std::span<const std::uint8_t, rnd_size> rnd,
                       std::span<std::uint8_t, signature_size> sig) noexcept;

/// ML-DSA.Verify with an explicit context string (false if longer than 255).
bool verify_with_context(byte_span pk, byte_span message, byte_span context,
                         byte_span sig) noexcept;

}  // namespace relay::protocol::mldsa65
