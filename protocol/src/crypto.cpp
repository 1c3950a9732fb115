#include "relay/protocol/crypto.hpp"

#include <sodium.h>

namespace relay::protocol {

bool crypto_init() noexcept {
  // sodium_init is thread-safe and returns 1 when already initialised.
  return sodium_init() >= 0;
}

std::array<std::uint8_t, 32> sha256(byte_span data) noexcept {
  std::array<std::uint8_t, 32> out{};
  crypto_hash_sha256(out.data(), data.data(), data.size());
  return out;
}

void random_bytes(std::span<std::uint8_t> out) noexcept {
  randombytes_buf(out.data(), out.size());
}

challenge random_challenge() noexcept {
  challenge c{};
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
  // Fuzz builds only (RELAY_BUILD_FUZZERS): every challenge is the same, so
  // fuzz_connection_frames makes each signature once. A relay built this
  // way accepts replayed responses; it cannot be installed or packaged.
  c.fill(0xc5);
#else
  random_bytes(c);
#endif
  return c;
}

std::size_t keyed_hash(const fingerprint& fp) noexcept {
  // The key is drawn once, on first use (thread-safe static initialisation).
  static const auto key = [] {
    std::array<std::uint8_t, crypto_shorthash_KEYBYTES> k{};
    crypto_init();
    randombytes_buf(k.data(), k.size());
    return k;
  }();
  std::array<std::uint8_t, crypto_shorthash_BYTES> out{};
  crypto_shorthash(out.data(), fp.data(), fp.size(), key.data());
  std::size_t h = 0;
  for (std::size_t i = 0; i < sizeof h && i < out.size(); ++i) h = h << 8 | out[i];
  return h;
}

}  // namespace relay::protocol
