// ML-DSA-65 (FIPS 204, final, August 2024): KeyGen_internal, Sign and
// Verify for the "pure" variant (M' = 0x00 || |ctx| || ctx || M).
//
// Arithmetic: coefficients are int32; multiplication goes through a
// negacyclic NTT over Z_q with Montgomery reduction (R = 2^32). Every buffer
// lives on the stack (Sign about 70 KiB, KeyGen 30 KiB, Verify 16 KiB); nothing is allocated.
//
// Verification treats pk and sig as hostile: lengths are checked first, z's
// infinity norm and the hint encoding are checked as FIPS 204 requires, and
// every index that comes from the signature is bounded by construction.
//
// Side channels: keygen and sign are written without table lookups indexed
// by secrets, but the rejection loop of Sign and a few comparisons branch on
// secret-derived data (as the specification's loop does); this code has not
// been audited for constant-time behaviour.
#include "relay/protocol/mldsa65.hpp"

#include <sodium.h>

#include <array>
#include <cstring>
#include <initializer_list>

#include "keccak.hpp"

namespace relay::protocol::mldsa65 {
namespace {

// ---------------------------------------------------------------- parameters
constexpr std::int32_t Q = 8380417;
constexpr int N = 256;
constexpr int D = 13;
constexpr int TAU = 49;
constexpr std::size_t CTILDE_BYTES = 48;  // lambda / 4
constexpr std::int32_t GAMMA1 = 1 << 19;
constexpr std::int32_t GAMMA2 = (Q - 1) / 32;
constexpr int K = 6;
constexpr int L = 5;
constexpr int ETA = 4;
constexpr std::int32_t BETA = TAU * ETA;  // 196
constexpr int OMEGA = 55;

constexpr std::size_t T1_BYTES = N * 10 / 8;   // SimpleBitPack(t1, 2^10 - 1)
constexpr std::size_t ETA_BYTES = N * 4 / 8;   // BitPack(s, eta, eta)
constexpr std::size_t T0_BYTES = N * 13 / 8;   // BitPack(t0, 2^12 - 1, 2^12)
constexpr std::size_t Z_BYTES = N * 20 / 8;    // BitPack(z, gamma1 - 1, gamma1)
constexpr std::size_t W1_BYTES = N * 4 / 8;    // SimpleBitPack(w1, 15)

static_assert(32 + K * T1_BYTES == public_key_size);
static_assert(32 + 32 + 64 + (K + L) * ETA_BYTES + K * T0_BYTES == secret_key_size);
static_assert(CTILDE_BYTES + L * Z_BYTES + OMEGA + K == signature_size);

struct Poly {
  std::int32_t c[N];
};
using VecL = std::array<Poly, L>;
using VecK = std::array<Poly, K>;

// ------------------------------------------------------ modular arithmetic
constexpr std::uint32_t make_qinv() {
  std::uint32_t x = static_cast<std::uint32_t>(Q);  // correct to 3 bits
  for (int i = 0; i < 5; ++i) x *= 2u - static_cast<std::uint32_t>(Q) * x;
  return x;
}
constexpr std::uint32_t QINV = make_qinv();  // Q^-1 mod 2^32
static_assert(static_cast<std::uint32_t>(Q) * QINV == 1u);

/// a * 2^-32 mod q, result in (-q, q), for |a| < 2^31 * q.
constexpr std::int32_t montgomery_reduce(std::int64_t a) noexcept {
  const auto t = static_cast<std::int32_t>(static_cast<std::uint32_t>(a) * QINV);
  return static_cast<std::int32_t>((a - static_cast<std::int64_t>(t) * Q) >> 32);
}

/// Representative of a mod q in [-6283009, 6283008], for a <= 2^31 - 2^22.
constexpr std::int32_t reduce32(std::int32_t a) noexcept {
  const std::int32_t t = (a + (1 << 22)) >> 23;
  return a - t * Q;
}

/// Adds q if a is negative.
constexpr std::int32_t caddq(std::int32_t a) noexcept { return a + ((a >> 31) & Q); }

/// Standard representative in [0, q).
constexpr std::int32_t freeze(std::int32_t a) noexcept { return caddq(reduce32(a)); }

/// Centered representative in [-(q-1)/2, (q-1)/2].
constexpr std::int32_t centered(std::int32_t a) noexcept {
  a = freeze(a);
  return a > (Q - 1) / 2 ? a - Q : a;
}

constexpr std::int32_t abs32(std::int32_t a) noexcept { return a < 0 ? -a : a; }

constexpr std::int64_t pow_mod(std::int64_t base, std::int64_t e) {
  std::int64_t r = 1;
  base %= Q;
  while (e > 0) {
    if (e & 1) r = r * base % Q;
    base = base * base % Q;
    e >>= 1;
  }
  return r;
}

constexpr int bitrev8(int x) {
  int r = 0;
  for (int i = 0; i < 8; ++i) r |= ((x >> i) & 1) << (7 - i);
  return r;
}

constexpr std::int32_t to_montgomery_centered(std::int64_t v) {
  std::int64_t m = (v << 32) % Q;
  return static_cast<std::int32_t>(m > Q / 2 ? m - Q : m);
}

// zeta = 1753 is a primitive 512th root of unity mod q.
constexpr std::int64_t ZETA = 1753;

struct ZetaTables {
  std::array<std::int32_t, N> fwd{};  // zeta^brv8(k) * 2^32 mod q
  std::array<std::int32_t, N> inv{};  // zeta^-brv8(k) * 2^32 mod q
};

constexpr ZetaTables make_zetas() {
  ZetaTables t;
  for (int k = 1; k < N; ++k) {
    const int e = bitrev8(k);
    t.fwd[k] = to_montgomery_centered(pow_mod(ZETA, e));
    t.inv[k] = to_montgomery_centered(pow_mod(ZETA, 512 - e));
  }
  return t;
}
constexpr ZetaTables zetas = make_zetas();
static_assert(zetas.fwd[1] == 25847);
static_assert(pow_mod(ZETA, 256) == Q - 1);

// 2^64 / 256 mod q: scales the inverse NTT by 1/256 and into Montgomery form.
constexpr std::int32_t INVNTT_F = static_cast<std::int32_t>(
    (pow_mod(2, 64) * pow_mod(256, Q - 2)) % Q);
static_assert(INVNTT_F == 41978);

/// In-place forward NTT (Cooley-Tukey, bit-reversed output order).
/// Input |a| < q; output |a| < 9q.
void ntt(Poly& p) noexcept {
  std::int32_t* a = p.c;
  int k = 0;
  for (int len = 128; len > 0; len >>= 1) {
    for (int start = 0; start < N; start += 2 * len) {
      const std::int64_t z = zetas.fwd[++k];
      for (int j = start; j < start + len; ++j) {
        const std::int32_t t = montgomery_reduce(z * a[j + len]);
        a[j + len] = a[j] - t;
        a[j] = a[j] + t;
      }
    }
  }
}

/// In-place inverse NTT (Gentleman-Sande), exact inverse butterflies of ntt(),
/// times 2^32 (Montgomery factor). Input |a| < 2^30; output |a| < q.
void invntt_tomont(Poly& p) noexcept {
  std::int32_t* a = p.c;
  for (int len = 1; len < N; len <<= 1) {
    int k = 128 / len;
    for (int start = 0; start < N; start += 2 * len, ++k) {
      const std::int64_t z = zetas.inv[k];
      for (int j = start; j < start + len; ++j) {
        const std::int32_t t = a[j];
        const std::int32_t u = a[j + len];
        a[j] = reduce32(t + u);
        a[j + len] = montgomery_reduce(z * (t - u));
      }
    }
  }
  for (int j = 0; j < N; ++j) a[j] = montgomery_reduce(std::int64_t{INVNTT_F} * a[j]);
}

/// out = a o b * 2^-32 (pointwise in the NTT domain).
void pointwise(Poly& out, const Poly& a, const Poly& b) noexcept {
  for (int i = 0; i < N; ++i)
    out.c[i] = montgomery_reduce(static_cast<std::int64_t>(a.c[i]) * b.c[i]);
}

void pointwise_acc(Poly& acc, const Poly& a, const Poly& b) noexcept {
  for (int i = 0; i < N; ++i)
    acc.c[i] += montgomery_reduce(static_cast<std::int64_t>(a.c[i]) * b.c[i]);
}

// ----------------------------------------------------------- rounding
/// Decompose(r) for r in [0, q): returns r1 in [0, 15], sets r0.
constexpr std::int32_t decompose(std::int32_t r, std::int32_t& r0) noexcept {
  std::int32_t low = r % (2 * GAMMA2);
  if (low > GAMMA2) low -= 2 * GAMMA2;
  if (r - low == Q - 1) {
    r0 = low - 1;
    return 0;
  }
  r0 = low;
  return (r - low) / (2 * GAMMA2);
}

constexpr std::int32_t high_bits(std::int32_t r) noexcept {
  std::int32_t r0 = 0;
  return decompose(r, r0);
}

constexpr std::int32_t use_hint(bool h, std::int32_t r) noexcept {
  std::int32_t r0 = 0;
  const std::int32_t r1 = decompose(r, r0);
  if (!h) return r1;
  return r0 > 0 ? (r1 + 1) & 15 : (r1 - 1) & 15;
}

// ------------------------------------------------------------ bit packing
/// Packs N values of `bits` bits each (value(i) must fit), little-endian.
template <int Bits, typename F>
void pack_poly(std::uint8_t* out, F value) noexcept {
  std::uint64_t acc = 0;
  int have = 0;
  for (int i = 0; i < N; ++i) {
    acc |= static_cast<std::uint64_t>(static_cast<std::uint32_t>(value(i))) << have;
    have += Bits;
    while (have >= 8) {
      *out++ = static_cast<std::uint8_t>(acc);
      acc >>= 8;
      have -= 8;
    }
  }
}

/// Unpacks N values of `bits` bits each; store(i, v) receives them.
template <int Bits, typename F>
void unpack_poly(const std::uint8_t* in, F store) noexcept {
  std::uint64_t acc = 0;
  int have = 0;
  constexpr std::uint64_t mask = (std::uint64_t{1} << Bits) - 1;
  for (int i = 0; i < N; ++i) {
    while (have < Bits) {
      acc |= static_cast<std::uint64_t>(*in++) << have;
      have += 8;
    }
    store(i, static_cast<std::int32_t>(acc & mask));
    acc >>= Bits;
    have -= Bits;
  }
}

// -------------------------------------------------------------- sampling
/// H = SHAKE256 of the concatenated inputs.
void shake256_concat(std::uint8_t* out, std::size_t out_len,
                     std::initializer_list<byte_span> parts) noexcept {
  auto h = keccak::shake256();
  for (auto p : parts) h.absorb(p.data(), p.size());
  h.squeeze(out, out_len);
  h.wipe();
}

/// RejNTTPoly(rho || s || r): the entry A[r][s], already in the NTT domain.
void rej_ntt_poly(const std::uint8_t* rho, int row, int col, Poly& out) noexcept {
  auto h = keccak::shake128();
  h.absorb(rho, 32);
  const std::uint8_t idx[2] = {static_cast<std::uint8_t>(col), static_cast<std::uint8_t>(row)};
  h.absorb(idx, 2);
  std::uint8_t buf[keccak::Shake::rate128];
  int j = 0;
  while (j < N) {
    h.squeeze(buf, sizeof buf);
    for (std::size_t i = 0; i + 3 <= sizeof buf && j < N; i += 3) {
      const std::int32_t v = buf[i] | (buf[i + 1] << 8) | ((buf[i + 2] & 0x7F) << 16);
      if (v < Q) out.c[j++] = v;
    }
  }
}

/// RejBoundedPoly(rho' || nonce) for eta = 4.
void rej_bounded_poly(const std::uint8_t* rhop, std::uint16_t nonce, Poly& out) noexcept {
  auto h = keccak::shake256();
  h.absorb(rhop, 64);
  const std::uint8_t n[2] = {static_cast<std::uint8_t>(nonce), static_cast<std::uint8_t>(nonce >> 8)};
  h.absorb(n, 2);
  std::uint8_t buf[keccak::Shake::rate256];
  int j = 0;
  while (j < N) {
    h.squeeze(buf, sizeof buf);
    for (std::size_t i = 0; i < sizeof buf && j < N; ++i) {
      const int z0 = buf[i] & 0x0F;
      const int z1 = buf[i] >> 4;
      if (z0 < 9) out.c[j++] = ETA - z0;
      if (z1 < 9 && j < N) out.c[j++] = ETA - z1;
    }
  }
  h.wipe();
  sodium_memzero(buf, sizeof buf);
}

void expand_a_row(const std::uint8_t* rho, int row, VecL& out) noexcept {
  for (int s = 0; s < L; ++s) rej_ntt_poly(rho, row, s, out[s]);
}

/// ExpandMask(rho'', kappa): y with coefficients in [-gamma1 + 1, gamma1].
void expand_mask(const std::uint8_t* rhopp, std::uint16_t kappa, VecL& y) noexcept {
  std::uint8_t buf[Z_BYTES];
  for (int r = 0; r < L; ++r) {
    const std::uint16_t nonce = static_cast<std::uint16_t>(kappa + r);
    const std::uint8_t n[2] = {static_cast<std::uint8_t>(nonce), static_cast<std::uint8_t>(nonce >> 8)};
    auto h = keccak::shake256();
    h.absorb(rhopp, 64);
    h.absorb(n, 2);
    h.squeeze(buf, sizeof buf);
    h.wipe();
    unpack_poly<20>(buf, [&](int i, std::int32_t v) { y[r].c[i] = GAMMA1 - v; });
  }
  sodium_memzero(buf, sizeof buf);
}

/// SampleInBall(c~): tau coefficients +-1, the rest 0 (FIPS 204 final: all
/// of c~ is hashed).
void sample_in_ball(const std::uint8_t* ctilde, Poly& c) noexcept {
  std::memset(c.c, 0, sizeof c.c);
  auto h = keccak::shake256();
  h.absorb(ctilde, CTILDE_BYTES);
  std::uint8_t s[8];
  h.squeeze(s, 8);
  std::uint64_t signs = 0;
  for (int i = 0; i < 8; ++i) signs |= static_cast<std::uint64_t>(s[i]) << (8 * i);
  for (int i = N - TAU; i < N; ++i) {
    std::uint8_t j = 0;
    do {
      h.squeeze(&j, 1);
    } while (j > i);
    c.c[i] = c.c[j];
    c.c[j] = (signs & 1) ? -1 : 1;
    signs >>= 1;
  }
}

// ---------------------------------------------------------------- hints
/// HintBitUnpack: false (the specification's bottom) on any malformed encoding.
bool hint_unpack(const std::uint8_t* y, std::uint8_t (&h)[K][N]) noexcept {
  std::memset(h, 0, sizeof h);
  int index = 0;
  for (int i = 0; i < K; ++i) {
    const int limit = y[OMEGA + i];
    if (limit < index || limit > OMEGA) return false;
    const int first = index;
    for (; index < limit; ++index) {
      if (index > first && y[index - 1] >= y[index]) return false;
      h[i][y[index]] = 1;
    }
  }
  for (int i = index; i < OMEGA; ++i)
    if (y[i] != 0) return false;
  return true;
}

/// The bytes that precede M in M' = 0 || |ctx| || ctx || M.
struct MessagePrefix {
  std::uint8_t head[2];
  byte_span ctx;
};

/// mu = H(tr || M', 64).
void compute_mu(const std::uint8_t* tr, const MessagePrefix& prefix, byte_span msg,
                std::uint8_t* mu) noexcept {
  auto h = keccak::shake256();
  h.absorb(tr, 64);
  h.absorb(prefix.head, 2);
  h.absorb(prefix.ctx.data(), prefix.ctx.size());
  h.absorb(msg.data(), msg.size());
  h.squeeze(mu, 64);
}

// ------------------------------------------------------------------ sign
struct SignState {
  VecL a_rows[K];  // A-hat
  VecL s1;         // NTT domain
  VecK s2;         // NTT domain
  VecK t0;         // NTT domain
  VecL y;
  VecL tmp_l;
  VecK w;
  Poly c;
  Poly tmp;
  std::uint8_t hint[K][N];
  std::uint8_t key[32];
  std::uint8_t mu[64];
  std::uint8_t rhopp[64];
  std::uint8_t w1_bytes[K * W1_BYTES];
};

void sign_internal(const std::uint8_t* sk, const MessagePrefix& prefix, byte_span msg,
                   const std::uint8_t* rnd, std::uint8_t* sig) noexcept {
  SignState st;  // ~70 KiB on the stack
  const std::uint8_t* rho = sk;
  std::memcpy(st.key, sk + 32, 32);
  const std::uint8_t* tr = sk + 64;
  const std::uint8_t* p = sk + 128;
  for (int i = 0; i < L; ++i, p += ETA_BYTES)
    unpack_poly<4>(p, [&](int j, std::int32_t v) { st.s1[i].c[j] = ETA - v; });
  for (int i = 0; i < K; ++i, p += ETA_BYTES)
    unpack_poly<4>(p, [&](int j, std::int32_t v) { st.s2[i].c[j] = ETA - v; });
  for (int i = 0; i < K; ++i, p += T0_BYTES)
    unpack_poly<13>(p, [&](int j, std::int32_t v) { st.t0[i].c[j] = (1 << (D - 1)) - v; });
  for (auto& x : st.s1) ntt(x);
  for (auto& x : st.s2) ntt(x);
  for (auto& x : st.t0) ntt(x);
  for (int i = 0; i < K; ++i) expand_a_row(rho, i, st.a_rows[i]);

  compute_mu(tr, prefix, msg, st.mu);
  shake256_concat(st.rhopp, 64, {byte_span(st.key, 32), byte_span(rnd, rnd_size),
                                 byte_span(st.mu, 64)});

  for (std::uint16_t kappa = 0;; kappa = static_cast<std::uint16_t>(kappa + L)) {
    expand_mask(st.rhopp, kappa, st.y);
    // w = A * y, standard representatives.
    st.tmp_l = st.y;
    for (auto& x : st.tmp_l) ntt(x);
    for (int i = 0; i < K; ++i) {
      Poly& w = st.w[i];
      pointwise(w, st.a_rows[i][0], st.tmp_l[0]);
      for (int j = 1; j < L; ++j) pointwise_acc(w, st.a_rows[i][j], st.tmp_l[j]);
      for (auto& v : w.c) v = reduce32(v);
      invntt_tomont(w);
      for (auto& v : w.c) v = freeze(v);
      pack_poly<4>(st.w1_bytes + i * W1_BYTES, [&](int j) { return high_bits(w.c[j]); });
    }
    std::uint8_t* ctilde = sig;
    shake256_concat(ctilde, CTILDE_BYTES,
                    {byte_span(st.mu, 64), byte_span(st.w1_bytes, sizeof st.w1_bytes)});
    sample_in_ball(ctilde, st.c);
    ntt(st.c);

    // z = y + c*s1, rejected when ||z|| >= gamma1 - beta.
    bool reject = false;
    for (int i = 0; i < L && !reject; ++i) {
      Poly& z = st.tmp_l[i];
      pointwise(z, st.c, st.s1[i]);
      invntt_tomont(z);
      for (int j = 0; j < N; ++j) {
        z.c[j] = centered(z.c[j] + st.y[i].c[j]);
        if (abs32(z.c[j]) >= GAMMA1 - BETA) reject = true;
      }
    }
    if (reject) continue;

    int hints = 0;
    for (int i = 0; i < K && !reject; ++i) {
      // r = w - c*s2: ||LowBits(r)|| must be < gamma2 - beta.
      pointwise(st.tmp, st.c, st.s2[i]);
      invntt_tomont(st.tmp);
      Poly& r = st.w[i];
      for (int j = 0; j < N; ++j) {
        r.c[j] = freeze(r.c[j] - st.tmp.c[j]);
        std::int32_t r0 = 0;
        decompose(r.c[j], r0);
        if (abs32(r0) >= GAMMA2 - BETA) reject = true;
      }
      if (reject) break;
      // c*t0 must be small, and the hint records where adding it changes HighBits.
      pointwise(st.tmp, st.c, st.t0[i]);
      invntt_tomont(st.tmp);
      for (int j = 0; j < N; ++j) {
        const std::int32_t ct0 = centered(st.tmp.c[j]);
        if (abs32(ct0) >= GAMMA2) reject = true;
        const bool h = high_bits(r.c[j]) != high_bits(freeze(r.c[j] + ct0));
        st.hint[i][j] = h ? 1 : 0;
        hints += h ? 1 : 0;
      }
    }
    if (reject || hints > OMEGA) continue;

    // sigEncode(c~, z, h); c~ is already in place.
    std::uint8_t* out = sig + CTILDE_BYTES;
    for (int i = 0; i < L; ++i, out += Z_BYTES)
      pack_poly<20>(out, [&](int j) { return GAMMA1 - st.tmp_l[i].c[j]; });
    std::memset(out, 0, OMEGA + K);
    int index = 0;
    for (int i = 0; i < K; ++i) {
      for (int j = 0; j < N; ++j)
        if (st.hint[i][j]) out[index++] = static_cast<std::uint8_t>(j);
      out[OMEGA + i] = static_cast<std::uint8_t>(index);
    }
    break;
  }
  sodium_memzero(&st, sizeof st);
}

// ---------------------------------------------------------------- verify
bool verify_internal(byte_span pk, const MessagePrefix& prefix, byte_span msg,
                     byte_span sig) noexcept {
  if (pk.size() != public_key_size || sig.size() != signature_size) return false;
  const std::uint8_t* rho = pk.data();
  const std::uint8_t* ctilde = sig.data();

  // z: reject ||z|| >= gamma1 - beta before doing any work.
  VecL z;
  bool z_ok = true;
  for (int i = 0; i < L; ++i) {
    unpack_poly<20>(sig.data() + CTILDE_BYTES + i * Z_BYTES, [&](int j, std::int32_t v) {
      z[i].c[j] = GAMMA1 - v;
      if (abs32(z[i].c[j]) >= GAMMA1 - BETA) z_ok = false;
    });
  }
  if (!z_ok) return false;

  std::uint8_t hint[K][N];
  if (!hint_unpack(sig.data() + CTILDE_BYTES + L * Z_BYTES, hint)) return false;

  std::uint8_t tr[64];
  std::uint8_t mu[64];
  shake256_concat(tr, 64, {pk});
  compute_mu(tr, prefix, msg, mu);

  Poly c;
  sample_in_ball(ctilde, c);
  ntt(c);
  for (auto& x : z) ntt(x);

  std::uint8_t w1_bytes[K * W1_BYTES];
  VecL a_row;
  Poly t1;
  Poly w;
  for (int i = 0; i < K; ++i) {
    expand_a_row(rho, i, a_row);
    pointwise(w, a_row[0], z[0]);
    for (int j = 1; j < L; ++j) pointwise_acc(w, a_row[j], z[j]);
    // - c * (t1 * 2^d)
    unpack_poly<10>(pk.data() + 32 + i * T1_BYTES,
                    [&](int j, std::int32_t v) { t1.c[j] = v << D; });
    ntt(t1);
    for (int j = 0; j < N; ++j)
      w.c[j] = reduce32(w.c[j] - montgomery_reduce(static_cast<std::int64_t>(c.c[j]) * t1.c[j]));
    invntt_tomont(w);
    pack_poly<4>(w1_bytes + i * W1_BYTES,
                 [&](int j) { return use_hint(hint[i][j] != 0, freeze(w.c[j])); });
  }

  std::uint8_t ctilde2[CTILDE_BYTES];
  shake256_concat(ctilde2, CTILDE_BYTES, {byte_span(mu, 64), byte_span(w1_bytes, sizeof w1_bytes)});
  std::uint8_t diff = 0;
  for (std::size_t i = 0; i < CTILDE_BYTES; ++i) diff |= ctilde[i] ^ ctilde2[i];
  return diff == 0;
}

}  // namespace

// ------------------------------------------------------------ public API
void keygen(std::span<const std::uint8_t, seed_size> xi,
            std::span<std::uint8_t, public_key_size> pk,
            std::span<std::uint8_t, secret_key_size> sk) noexcept {
  struct KeygenState {
    std::uint8_t seeds[128];  // rho || rho' || K
    VecL a_row;
    VecL s1;
    VecL s1_hat;
    VecK s2;
    VecK t0;
    Poly t;
  } st;
  const std::uint8_t kl[2] = {K, L};
  shake256_concat(st.seeds, 128, {byte_span(xi.data(), xi.size()), byte_span(kl, 2)});
  const std::uint8_t* rho = st.seeds;
  const std::uint8_t* rhop = st.seeds + 32;
  const std::uint8_t* key = st.seeds + 96;

  for (int r = 0; r < L; ++r) rej_bounded_poly(rhop, static_cast<std::uint16_t>(r), st.s1[r]);
  for (int r = 0; r < K; ++r)
    rej_bounded_poly(rhop, static_cast<std::uint16_t>(r + L), st.s2[r]);
  st.s1_hat = st.s1;
  for (auto& x : st.s1_hat) ntt(x);

  std::memcpy(pk.data(), rho, 32);
  for (int i = 0; i < K; ++i) {
    expand_a_row(rho, i, st.a_row);
    pointwise(st.t, st.a_row[0], st.s1_hat[0]);
    for (int j = 1; j < L; ++j) pointwise_acc(st.t, st.a_row[j], st.s1_hat[j]);
    for (auto& v : st.t.c) v = reduce32(v);
    invntt_tomont(st.t);
    Poly t1;
    for (int j = 0; j < N; ++j) {
      // Power2Round: t = t1 * 2^d + t0 with t0 in (-2^(d-1), 2^(d-1)].
      const std::int32_t t = freeze(st.t.c[j] + st.s2[i].c[j]);
      t1.c[j] = (t + (1 << (D - 1)) - 1) >> D;
      st.t0[i].c[j] = t - (t1.c[j] << D);
    }
    pack_poly<10>(pk.data() + 32 + i * T1_BYTES, [&](int j) { return t1.c[j]; });
  }

  std::uint8_t* out = sk.data();
  std::memcpy(out, rho, 32);
  std::memcpy(out + 32, key, 32);
  shake256_concat(out + 64, 64, {byte_span(pk.data(), pk.size())});  // tr
  out += 128;
  for (int i = 0; i < L; ++i, out += ETA_BYTES)
    pack_poly<4>(out, [&](int j) { return ETA - st.s1[i].c[j]; });
  for (int i = 0; i < K; ++i, out += ETA_BYTES)
    pack_poly<4>(out, [&](int j) { return ETA - st.s2[i].c[j]; });
  for (int i = 0; i < K; ++i, out += T0_BYTES)
    pack_poly<13>(out, [&](int j) { return (1 << (D - 1)) - st.t0[i].c[j]; });
  sodium_memzero(&st, sizeof st);
}

void sign_deterministic(std::span<const std::uint8_t, secret_key_size> sk, byte_span message,
                        std::span<std::uint8_t, signature_size> sig) noexcept {
  const std::uint8_t rnd[rnd_size] = {};
  const MessagePrefix prefix{{0, 0}, {}};
  sign_internal(sk.data(), prefix, message, rnd, sig.data());
}

bool sign_with_context(std::span<const std::uint8_t, secret_key_size> sk, byte_span message,
                       byte_span context, std::span<const std::uint8_t, rnd_size> rnd,
                       std::span<std::uint8_t, signature_size> sig) noexcept {
  if (context.size() > max_context_size) return false;
  const MessagePrefix prefix{{0, static_cast<std::uint8_t>(context.size())}, context};
  sign_internal(sk.data(), prefix, message, rnd.data(), sig.data());
  return true;
}

bool verify(byte_span pk, byte_span message, byte_span sig) noexcept {
  const MessagePrefix prefix{{0, 0}, {}};
  return verify_internal(pk, prefix, message, sig);
}

bool verify_with_context(byte_span pk, byte_span message, byte_span context,
                         byte_span sig) noexcept {
  if (context.size() > max_context_size) return false;
  const MessagePrefix prefix{{0, static_cast<std::uint8_t>(context.size())}, context};
  return verify_internal(pk, prefix, message, sig);
}

}  // namespace relay::protocol::mldsa65
