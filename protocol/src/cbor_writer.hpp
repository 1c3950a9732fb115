// Private: the few CBOR encoders the key and signature formats need, in the
// shortest form (as ciborium writes them).
#pragma once

#include <cstdint>

#include "relay/protocol/types.hpp"

namespace relay::protocol::cbor {

enum class major_type : std::uint8_t {
  unsigned_int = 0,
  negative_int = 1,
  bytes = 2,
  text = 3,
  array = 4,
  map = 5,
  tag = 6,
};

/// Appends an item head with the shortest argument encoding.
inline void write_head(byte_vector& out, major_type major, std::uint64_t arg) {
  const auto mt = static_cast<std::uint8_t>(static_cast<std::uint8_t>(major) << 5);
  if (arg < 24) {
    out.push_back(static_cast<std::uint8_t>(mt | arg));
    return;
  }
  int bytes = 8;
  std::uint8_t ai = 27;
  if (arg <= 0xff) {
    bytes = 1, ai = 24;
  } else if (arg <= 0xffff) {
    bytes = 2, ai = 25;
  } else if (arg <= 0xffffffffULL) {
    bytes = 4, ai = 26;
  }
  out.push_back(static_cast<std::uint8_t>(mt | ai));
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(arg >> (8 * i)));
}

/// Appends a signed integer.
inline void write_int(byte_vector& out, std::int64_t v) {
  if (v >= 0) {
    write_head(out, major_type::unsigned_int, static_cast<std::uint64_t>(v));
  } else {
    write_head(out, major_type::negative_int, static_cast<std::uint64_t>(-1 - v));
  }
}

/// Appends a definite byte string.
inline void write_bytes(byte_vector& out, byte_span bytes) {
  write_head(out, major_type::bytes, bytes.size());
  out.insert(out.end(), bytes.begin(), bytes.end());
}

}  // namespace relay::protocol::cbor
