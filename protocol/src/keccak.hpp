// Compact Keccak-f[1600] and the SHAKE128 / SHAKE256 extendable-output
// functions (FIPS 202), as needed by ML-DSA. Incremental absorb, then
// squeeze any number of bytes. No heap allocation; not thread-shared.
#pragma once

#include <cstddef>
#include <cstdint>

namespace relay::protocol::keccak {

/// One application of the Keccak-f[1600] permutation (24 rounds).
void permute(std::uint64_t state[25]) noexcept;

/// A SHAKE sponge: rate 168 bytes for SHAKE128, 136 bytes for SHAKE256.
class Shake {
 public:
  static constexpr std::size_t rate128 = 168;
  static constexpr std::size_t rate256 = 136;

  explicit Shake(std::size_t rate) noexcept : rate_(rate) {}

  /// Absorbs more input; only valid before the first squeeze.
  void absorb(const std::uint8_t* data, std::size_t len) noexcept;
  /// Writes the next len output bytes (pads the input on the first call).
  void squeeze(std::uint8_t* out, std::size_t len) noexcept;
  /// Overwrites the state with zeros (for secret inputs).
  void wipe() noexcept;

 private:
  void finish_absorb() noexcept;

  std::uint64_t state_[25] = {};
  std::size_t rate_;
  std::size_t pos_ = 0;         // byte offset within the current block
  bool squeezing_ = false;
};

inline Shake shake128() noexcept { return Shake(Shake::rate128); }
inline Shake shake256() noexcept { return Shake(Shake::rate256); }

}  // namespace relay::protocol::keccak
