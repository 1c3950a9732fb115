// ML-DSA-65 throughput (keygen, deterministic sign, verify) next to libsodium
// Ed25519 verification, each measured the same way: repeat for about one
// second of wall time and report operations per second.
#include <sodium.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>

#include "relay/protocol/mldsa65.hpp"

namespace mldsa65 = relay::protocol::mldsa65;

namespace {

volatile int sink = 0;

template <typename F>
double ops_per_second(F op) {
  using clock = std::chrono::steady_clock;
  for (int i = 0; i < 10; ++i) op(i);  // warm-up
  const auto start = clock::now();
  long n = 0;
  double elapsed = 0;
  do {
    for (int i = 0; i < 50; ++i) op(static_cast<int>(n + i));
    n += 50;
    elapsed = std::chrono::duration<double>(clock::now() - start).count();
  } while (elapsed < 1.0);
  return static_cast<double>(n) / elapsed;
}

}  // namespace

int main() {
  if (sodium_init() < 0) return 1;
  std::array<std::uint8_t, 32> seed{};
  std::array<std::uint8_t, mldsa65::public_key_size> pk{};
  std::array<std::uint8_t, mldsa65::secret_key_size> sk{};
  std::array<std::uint8_t, mldsa65::signature_size> sig{};
  std::array<std::uint8_t, 32> challenge{};
  randombytes_buf(challenge.data(), challenge.size());

  const double keygen = ops_per_second([&](int i) {
    seed[0] = static_cast<std::uint8_t>(i);
    seed[1] = static_cast<std::uint8_t>(i >> 8);
    mldsa65::keygen(seed, pk, sk);
    sink = sink + pk[100];
  });
  mldsa65::keygen(seed, pk, sk);
  const double sign = ops_per_second([&](int i) {
    challenge[0] = static_cast<std::uint8_t>(i);
    challenge[1] = static_cast<std::uint8_t>(i >> 8);
    mldsa65::sign_deterministic(sk, challenge, sig);
    sink = sink + sig[0];
  });
  const double verify = ops_per_second([&](int) {
    sink = sink + (mldsa65::verify(pk, challenge, sig) ? 1 : 0);
  });
  const bool mldsa_ok = mldsa65::verify(pk, challenge, sig);

  std::array<std::uint8_t, crypto_sign_PUBLICKEYBYTES> ed_pk{};
  std::array<std::uint8_t, crypto_sign_SECRETKEYBYTES> ed_sk{};
  std::array<std::uint8_t, crypto_sign_BYTES> ed_sig{};
  crypto_sign_keypair(ed_pk.data(), ed_sk.data());
  crypto_sign_detached(ed_sig.data(), nullptr, challenge.data(), challenge.size(), ed_sk.data());
  const double ed_verify = ops_per_second([&](int) {
    sink = sink + (crypto_sign_verify_detached(ed_sig.data(), challenge.data(), challenge.size(),
                                               ed_pk.data()) == 0 ? 1 : 0);
  });
  const bool ed_ok = crypto_sign_verify_detached(ed_sig.data(), challenge.data(),
                                                 challenge.size(), ed_pk.data()) == 0;

  std::printf("ML-DSA-65 keygen/s: %.0f\n", keygen);
  std::printf("ML-DSA-65 sign/s (deterministic, 32-byte message): %.0f\n", sign);
  std::printf("ML-DSA-65 verify/s (32-byte message): %.0f (%.1f us each)\n", verify,
              1e6 / verify);
  std::printf("Ed25519 verify/s (libsodium crypto_sign_verify_detached): %.0f (%.1f us each)\n",
              ed_verify, 1e6 / ed_verify);
  std::printf("self-check: ML-DSA-65 %s, Ed25519 %s\n", mldsa_ok ? "ok" : "FAILED",
              ed_ok ? "ok" : "FAILED");
  return mldsa_ok && ed_ok ? 0 : 1;
}
