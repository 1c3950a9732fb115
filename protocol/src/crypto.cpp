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
  random_bytes(c);
  return c;
}

}  // namespace relay::protocol
