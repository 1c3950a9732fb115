// Keccak-f[1600] written for clarity: theta, rho+pi, chi, iota on a
// 5x5 array of 64-bit lanes indexed x + 5*y (FIPS 202, section 3.2).
#include "keccak.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

namespace relay::protocol::keccak {
namespace {

constexpr std::uint64_t rotl(std::uint64_t v, unsigned n) noexcept {
  return n == 0 ? v : (v << n) | (v >> (64 - n));
}

// Round constants from the degree-8 LFSR of FIPS 202 algorithm 5 (rc).
constexpr std::array<std::uint64_t, 24> make_round_constants() {
  std::array<std::uint64_t, 24> rc{};
  std::uint8_t r = 1;
  for (int round = 0; round < 24; ++round) {
    std::uint64_t c = 0;
    for (int j = 0; j < 7; ++j) {
      if (r & 1) c ^= std::uint64_t{1} << ((1u << j) - 1);
      r = static_cast<std::uint8_t>((r & 0x80) ? ((r << 1) ^ 0x71) : (r << 1));
    }
    rc[round] = c;
  }
  return rc;
}
constexpr auto round_constants = make_round_constants();
static_assert(round_constants[0] == 0x0000000000000001ULL);
static_assert(round_constants[1] == 0x0000000000008082ULL);
static_assert(round_constants[23] == 0x8000000080008008ULL);

// Rotation offsets r[x + 5y] (FIPS 202 table 2).
constexpr unsigned rho_offsets[25] = {0,  1,  62, 28, 27, 36, 44, 6,  55, 20, 3,  10, 43,
                                      25, 39, 41, 45, 15, 21, 8,  18, 2,  61, 56, 14};

// Index of B that lane x + 5y of A moves to under pi: y + 5 * ((2x + 3y) mod 5).
constexpr std::array<int, 25> make_pi_target() {
  std::array<int, 25> t{};
  for (int x = 0; x < 5; ++x)
    for (int y = 0; y < 5; ++y) t[x + 5 * y] = y + 5 * ((2 * x + 3 * y) % 5);
  return t;
}
constexpr auto pi_target = make_pi_target();

}  // namespace

void permute(std::uint64_t a[25]) noexcept {
  std::uint64_t b[25];
  std::uint64_t c[5];
  std::uint64_t d[5];
  for (int round = 0; round < 24; ++round) {
    // theta
#pragma GCC unroll 5
    for (int x = 0; x < 5; ++x) c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
#pragma GCC unroll 5
    for (int x = 0; x < 5; ++x) d[x] = c[(x + 4) % 5] ^ rotl(c[(x + 1) % 5], 1);
#pragma GCC unroll 25
    for (int i = 0; i < 25; ++i) a[i] ^= d[i % 5];
    // rho and pi: B[y, 2x+3y] = rotl(A[x, y], r[x, y])
#pragma GCC unroll 25
    for (int i = 0; i < 25; ++i) b[pi_target[i]] = rotl(a[i], rho_offsets[i]);
    // chi
#pragma GCC unroll 25
    for (int i = 0; i < 25; ++i) {
      const int y = i - i % 5;
      a[i] = b[i] ^ (~b[y + (i + 1) % 5] & b[y + (i + 2) % 5]);
    }
    // iota
    a[0] ^= round_constants[round];
  }
}

void Shake::absorb(const std::uint8_t* data, std::size_t len) noexcept {
  for (std::size_t i = 0; i < len; ++i) {
    state_[pos_ / 8] ^= std::uint64_t{data[i]} << (8 * (pos_ % 8));
    if (++pos_ == rate_) {
      permute(state_);
      pos_ = 0;
    }
  }
}

void Shake::finish_absorb() noexcept {
  // SHAKE domain bits 1111 then pad10*1.
  state_[pos_ / 8] ^= std::uint64_t{0x1F} << (8 * (pos_ % 8));
  state_[(rate_ - 1) / 8] ^= std::uint64_t{0x80} << (8 * ((rate_ - 1) % 8));
  permute(state_);
  pos_ = 0;
  squeezing_ = true;
}

void Shake::squeeze(std::uint8_t* out, std::size_t len) noexcept {
  if (!squeezing_) finish_absorb();
  while (len > 0) {
    if (pos_ == rate_) {
      permute(state_);
      pos_ = 0;
    }
    if constexpr (std::endian::native == std::endian::little) {
      // The lanes' object representation is the little-endian byte stream.
      const std::size_t n = std::min(len, rate_ - pos_);
      std::memcpy(out, reinterpret_cast<const std::uint8_t*>(state_) + pos_, n);
      out += n;
      len -= n;
      pos_ += n;
    } else {
      *out++ = static_cast<std::uint8_t>(state_[pos_ / 8] >> (8 * (pos_ % 8)));
      --len;
      ++pos_;
    }
  }
}

void Shake::wipe() noexcept {
  volatile std::uint64_t* p = state_;
  for (int i = 0; i < 25; ++i) p[i] = 0;
  pos_ = 0;
  squeezing_ = false;
}

}  // namespace relay::protocol::keccak
