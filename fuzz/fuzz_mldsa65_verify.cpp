// libFuzzer target: ML-DSA-65 verification on arbitrary bytes.
// Input layout: [selector byte] [pk 1952 bytes] [sig 3309 bytes] [message...].
// The selector's low bits perturb the pk / sig lengths by -1..+1 so that the
// length checks are exercised too; short inputs are passed through as-is.
#include <cstddef>
#include <cstdint>
#include <span>

#include "relay/protocol/mldsa65.hpp"

namespace mldsa65 = relay::protocol::mldsa65;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t selector = data[0];
  ++data;
  --size;
  auto take = [&](std::size_t want) {
    const std::size_t n = want < size ? want : size;
    std::span<const std::uint8_t> out(data, n);
    data += n;
    size -= n;
    return out;
  };
  const std::size_t pk_len = mldsa65::public_key_size + (selector % 3) - 1;
  const std::size_t sig_len = mldsa65::signature_size + ((selector / 3) % 3) - 1;
  const bool exact = (selector & 0x80) != 0;  // usually use the exact sizes
  const auto pk = take(exact ? mldsa65::public_key_size : pk_len);
  const auto sig = take(exact ? mldsa65::signature_size : sig_len);
  const std::span<const std::uint8_t> msg(data, size);
  const bool ok = mldsa65::verify(pk, msg, sig);
  if (ok && (pk.size() != mldsa65::public_key_size || sig.size() != mldsa65::signature_size))
    __builtin_trap();  // a wrong-length input must never verify
  return 0;
}
