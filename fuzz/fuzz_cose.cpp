// libFuzzer target for the COSE layer: the input is split into a COSE_Key
// and a COSE_Sign1, both fed to the parsers a client can reach before it is
// authenticated.
//
// Layout: byte 0 and 1 give the COSE_Key length (big-endian, modulo the
// remaining size); the key follows, the rest is the COSE_Sign1.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "relay/protocol/cose.hpp"

using namespace relay::protocol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t rest = size - 2;
  const std::size_t key_len = rest == 0 ? 0 : (std::size_t{data[0]} << 8 | data[1]) % (rest + 1);
  const byte_span key{data + 2, key_len};
  const byte_span sign1{data + 2 + key_len, rest - key_len};

  // A fixed challenge, so inputs that reach the signature check are stable.
  challenge issued{};
  for (std::size_t i = 0; i < issued.size(); ++i) issued[i] = static_cast<std::uint8_t>(0xa5 ^ i);

  const auto parsed = parse_identity_key(key);
  if (parsed) {
    const std::size_t expected = parsed->alg == key_algorithm::ed25519 ? 32 : 1952;
    if (parsed->bytes.size() != expected) std::abort();
    (void)fingerprint_of(*parsed);
  }
  (void)parse_identity_key(sign1);

  verified_identity who{};
  const auth_failure result = verify_challenge_response(issued, key, sign1, who);
  if (to_string(result) == nullptr) std::abort();
  // Any accepted response must at least carry a key that parses on its own.
  if (result == auth_failure::none && !parsed) std::abort();
  return 0;
}
