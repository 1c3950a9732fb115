// UTF-8 validity as Rust's `str::from_utf8` defines it (no overlong forms,
// no surrogates, nothing above U+10FFFF): what a serde peer accepts as a
// string, so every decoder of client strings uses this one check.
#pragma once

#include <string_view>

#include "relay/protocol/types.hpp"

namespace relay::protocol {

bool valid_utf8(byte_span s) noexcept;

inline bool valid_utf8(std::string_view s) noexcept {
  return valid_utf8(byte_span{reinterpret_cast<const std::uint8_t*>(s.data()), s.size()});
}

}  // namespace relay::protocol
