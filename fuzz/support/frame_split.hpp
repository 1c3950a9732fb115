// Splits a fuzz input into a mode byte and WebSocket frames.
//
// Layout: [mode] then records [flags][len_hi][len_lo][data...]:
//   mode bit 0: answer the challenge with a valid AuthResponse first
//   mode bit 1: that identity is ML-DSA-65 (else Ed25519)
//   mode bit 2: the client chose the binary dialect (else JSON)
//   flags bit 0: binary frame (else text)
// A length beyond the end of the input takes what is left. At most
// `max_frames` records; bytes after them are ignored.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "relay/actors/messages.hpp"

namespace relay::fuzz {

struct fuzz_case {
  bool authenticate = false;
  bool ml_dsa = false;
  bool binary_dialect = false;
  std::vector<inbound_frame> frames;
};

inline constexpr std::size_t max_frames = 64;

inline fuzz_case split_input(const std::uint8_t* data, std::size_t size) {
  fuzz_case out;
  if (size == 0) return out;
  out.authenticate = (data[0] & 1) != 0;
  out.ml_dsa = (data[0] & 2) != 0;
  out.binary_dialect = (data[0] & 4) != 0;
  std::size_t at = 1;
  while (at + 3 <= size && out.frames.size() < max_frames) {
    const bool binary = (data[at] & 1) != 0;
    std::size_t len = std::size_t{data[at + 1]} << 8 | data[at + 2];
    at += 3;
    if (len > size - at) len = size - at;
    out.frames.push_back({std::string(reinterpret_cast<const char*>(data + at), len), binary});
    at += len;
  }
  return out;
}

}  // namespace relay::fuzz
