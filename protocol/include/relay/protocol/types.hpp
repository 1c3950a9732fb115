// Basic value types shared by every part of the relay: byte strings,
// fingerprints and challenges. Header-only, no dependencies.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace relay::protocol {

using byte_vector = std::vector<std::uint8_t>;
using byte_span = std::span<const std::uint8_t>;

inline constexpr std::size_t fingerprint_size = 32;
inline constexpr std::size_t challenge_size = 32;

/// SHA-256 of an identity's raw public key: the address of a peer.
using fingerprint = std::array<std::uint8_t, fingerprint_size>;

/// The 32 random bytes the relay asks a client to sign.
using challenge = std::array<std::uint8_t, challenge_size>;

/// Lower-case hex of any byte string.
std::string to_hex(byte_span bytes);

/// Parses lower- or upper-case hex; false on odd length or a non-hex digit.
bool from_hex(std::string_view hex, byte_vector& out);

/// First 8 hex digits of a fingerprint: what logs show of an identity.
std::string short_hex(const fingerprint& fp);

}  // namespace relay::protocol
