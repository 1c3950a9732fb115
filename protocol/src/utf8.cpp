#include "relay/protocol/utf8.hpp"

namespace relay::protocol {

bool valid_utf8(byte_span s) noexcept {
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    const std::uint8_t b = s[i];
    if (b < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    std::uint8_t lo = 0x80, hi = 0xbf;  // bounds of the second byte
    if (b >= 0xc2 && b <= 0xdf) {
      len = 2;
    } else if (b == 0xe0) {
      len = 3, lo = 0xa0;
    } else if ((b >= 0xe1 && b <= 0xec) || b == 0xee || b == 0xef) {
      len = 3;
    } else if (b == 0xed) {
      len = 3, hi = 0x9f;  // no surrogates
    } else if (b == 0xf0) {
      len = 4, lo = 0x90;
    } else if (b >= 0xf1 && b <= 0xf3) {
      len = 4;
    } else if (b == 0xf4) {
      len = 4, hi = 0x8f;  // <= U+10FFFF
    } else {
      return false;
    }
    if (n - i < len) return false;
    if (s[i + 1] < lo || s[i + 1] > hi) return false;
    for (std::size_t k = 2; k < len; ++k) {
      if (s[i + k] < 0x80 || s[i + k] > 0xbf) return false;
    }
    i += len;
  }
  return true;
}

}  // namespace relay::protocol
