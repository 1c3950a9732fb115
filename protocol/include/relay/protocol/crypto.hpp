// Thin wrappers over libsodium: hashing and the CSPRNG. Call
// `crypto_init()` once before anything else (it is idempotent and
// thread-safe; every function in this library that needs it calls it).
#pragma once

#include "relay/protocol/types.hpp"

namespace relay::protocol {

/// Initialises libsodium; returns false if it cannot (no entropy source).
bool crypto_init() noexcept;

/// SHA-256 of `data`.
std::array<std::uint8_t, 32> sha256(byte_span data) noexcept;

/// Fills `out` with bytes from the CSPRNG.
void random_bytes(std::span<std::uint8_t> out) noexcept;

/// A fresh authentication challenge from the CSPRNG.
challenge random_challenge() noexcept;

/// SipHash of a fingerprint under a per-process random key. Fingerprints in
/// hash tables are looked up with client-chosen values, so an unkeyed hash
/// would invite collision flooding.
std::size_t keyed_hash(const fingerprint& fp) noexcept;

/// Hasher for unordered containers keyed by fingerprint.
struct fingerprint_hash {
  std::size_t operator()(const fingerprint& fp) const noexcept { return keyed_hash(fp); }
};

}  // namespace relay::protocol
