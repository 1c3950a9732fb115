// What a load-generator payload carries in its first 16 bytes:
//   [0, 8)  send time, steady_clock nanoseconds, little endian
//   [8, 16) sender connection index (high 24 bits) | sequence number (low 40 bits)
// The rest is filler. A sequence number of all ones marks a readiness probe.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstring>

namespace relay::bench {

inline constexpr std::size_t stamp_size = 16;
inline constexpr unsigned seq_bits = 40;
inline constexpr std::uint64_t seq_mask = (std::uint64_t{1} << seq_bits) - 1;
inline constexpr std::uint64_t probe_seq = seq_mask;
inline constexpr std::uint32_t max_connections = 1u << 24;

struct stamp {
  std::uint64_t sent_ns = 0;
  std::uint32_t sender = 0;
  std::uint64_t seq = 0;
};

inline std::uint64_t now_ns() noexcept {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

inline void write_stamp(std::uint8_t* p, const stamp& s) noexcept {
  const std::uint64_t tag = (std::uint64_t{s.sender} << seq_bits) | (s.seq & seq_mask);
  std::memcpy(p, &s.sent_ns, 8);  // x86-64 and aarch64 Linux: little endian
  std::memcpy(p + 8, &tag, 8);
}

inline stamp read_stamp(const std::uint8_t* p) noexcept {
  stamp s;
  std::uint64_t tag = 0;
  std::memcpy(&s.sent_ns, p, 8);
  std::memcpy(&tag, p + 8, 8);
  s.sender = static_cast<std::uint32_t>(tag >> seq_bits);
  s.seq = tag & seq_mask;
  return s;
}

}  // namespace relay::bench
