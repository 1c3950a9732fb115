// Private: whether 32 bytes decode to a point of the Ed25519 curve, as
// curve25519-dalek's `CompressedEdwardsY::decompress` decides it (the step at
// which the reference turns a COSE_Key's x into a `VerifyingKey`).
#pragma once

#include <cstdint>
#include <span>

namespace relay::protocol {

/// True when some x satisfies the curve equation for the encoded y (the top
/// bit is the sign of x; y is read modulo 2^255 - 19 like dalek does).
/// Small-order and non-canonical encodings decompress; libsodium's verify
/// rejects those later.
bool ed25519_point_decompresses(std::span<const std::uint8_t, 32> encoded) noexcept;

}  // namespace relay::protocol
