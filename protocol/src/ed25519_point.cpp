// GF(2^255 - 19) with five 51-bit limbs: just enough to evaluate a Legendre
// symbol. Not constant time; it only ever sees public keys.
#include "ed25519_point.hpp"

#include <array>

namespace relay::protocol {

namespace {

using u128 = unsigned __int128;
using fe = std::array<std::uint64_t, 5>;
constexpr std::uint64_t mask51 = (std::uint64_t{1} << 51) - 1;

std::uint64_t load64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | p[i];
  return v;
}

fe from_bytes(std::span<const std::uint8_t, 32> s) {
  // Bit 255 (the sign of x) is dropped.
  return fe{load64(s.data()) & mask51, (load64(s.data() + 6) >> 3) & mask51,
            (load64(s.data() + 12) >> 6) & mask51, (load64(s.data() + 19) >> 1) & mask51,
            (load64(s.data() + 24) >> 12) & mask51};
}

void carry(fe& h) {
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 4; ++i) {
      h[i + 1] += h[i] >> 51;
      h[i] &= mask51;
    }
    const std::uint64_t c = h[4] >> 51;
    h[4] &= mask51;
    h[0] += 19 * c;
  }
}

fe add(const fe& a, const fe& b) {
  fe r;
  for (int i = 0; i < 5; ++i) r[i] = a[i] + b[i];
  carry(r);
  return r;
}

fe sub(const fe& a, const fe& b) {
  // a + 2p - b keeps every limb non-negative (inputs are carried).
  fe r;
  r[0] = a[0] + 0xfffffffffffdaULL - b[0];
  for (int i = 1; i < 5; ++i) r[i] = a[i] + 0xffffffffffffeULL - b[i];
  carry(r);
  return r;
}

fe mul(const fe& a, const fe& b) {
  const std::uint64_t b1 = 19 * b[1], b2 = 19 * b[2], b3 = 19 * b[3], b4 = 19 * b[4];
  u128 r0 = (u128)a[0] * b[0] + (u128)a[1] * b4 + (u128)a[2] * b3 + (u128)a[3] * b2 + (u128)a[4] * b1;
  u128 r1 = (u128)a[0] * b[1] + (u128)a[1] * b[0] + (u128)a[2] * b4 + (u128)a[3] * b3 + (u128)a[4] * b2;
  u128 r2 = (u128)a[0] * b[2] + (u128)a[1] * b[1] + (u128)a[2] * b[0] + (u128)a[3] * b4 + (u128)a[4] * b3;
  u128 r3 = (u128)a[0] * b[3] + (u128)a[1] * b[2] + (u128)a[2] * b[1] + (u128)a[3] * b[0] + (u128)a[4] * b4;
  u128 r4 = (u128)a[0] * b[4] + (u128)a[1] * b[3] + (u128)a[2] * b[2] + (u128)a[3] * b[1] + (u128)a[4] * b[0];
  r1 += r0 >> 51;
  r2 += r1 >> 51;
  r3 += r2 >> 51;
  r4 += r3 >> 51;
  fe r{static_cast<std::uint64_t>(r0) & mask51, static_cast<std::uint64_t>(r1) & mask51,
       static_cast<std::uint64_t>(r2) & mask51, static_cast<std::uint64_t>(r3) & mask51,
       static_cast<std::uint64_t>(r4) & mask51};
  const u128 top = r4 >> 51;  // < 2^62
  const u128 fold = top * 19 + r[0];
  r[0] = static_cast<std::uint64_t>(fold) & mask51;
  r[1] += static_cast<std::uint64_t>(fold >> 51);
  carry(r);
  return r;
}

// base^e with e given little-endian in 32 bytes.
fe pow(const fe& base, const std::array<std::uint8_t, 32>& e) {
  fe r{1, 0, 0, 0, 0};
  for (int bit = 255; bit >= 0; --bit) {
    r = mul(r, r);
    if ((e[bit / 8] >> (bit % 8)) & 1) r = mul(r, base);
  }
  return r;
}

// The unique representative in [0, p).
fe canonical(fe h) {
  carry(h);
  if (h[4] == mask51 && h[3] == mask51 && h[2] == mask51 && h[1] == mask51 &&
      h[0] >= mask51 - 18) {
    h[0] -= mask51 - 18;
    h[1] = h[2] = h[3] = h[4] = 0;
  }
  return h;
}

std::array<std::uint8_t, 32> le_constant(std::uint8_t low, std::uint8_t high) {
  std::array<std::uint8_t, 32> e{};
  e.fill(0xff);
  e[0] = low;
  e[31] = high;
  return e;
}

}  // namespace

bool ed25519_point_decompresses(std::span<const std::uint8_t, 32> encoded) noexcept {
  static const std::array<std::uint8_t, 32> p_minus_2 = le_constant(0xeb, 0x7f);
  static const std::array<std::uint8_t, 32> half_p_minus_1 = le_constant(0xf6, 0x3f);
  const fe one{1, 0, 0, 0, 0};
  const fe zero{0, 0, 0, 0, 0};
  // d = -121665 / 121666
  static const fe d = mul(sub(zero, fe{121665, 0, 0, 0, 0}), pow(fe{121666, 0, 0, 0, 0}, p_minus_2));

  const fe y = from_bytes(encoded);
  const fe yy = mul(y, y);
  const fe u = sub(yy, one);          // y^2 - 1
  const fe v = add(mul(d, yy), one);  // d y^2 + 1, never 0 (d is not a square)
  // x^2 = u / v has a solution iff u*v is a square or zero (Euler's criterion).
  const fe chi = canonical(pow(mul(u, v), half_p_minus_1));
  const bool is_zero = chi == zero;
  const bool is_one = chi == one;
  return is_zero || is_one;
}

}  // namespace relay::protocol
