#include "ws_frame.hpp"

#include <cstring>

namespace relay::bench {

void append_client_frame(std::string& out, opcode op, std::string_view payload, std::uint32_t mask_key) {
  unsigned char header[14];
  std::size_t h = 0;
  header[h++] = static_cast<unsigned char>(0x80 | static_cast<unsigned>(op));
  const std::uint64_t n = payload.size();
  if (n < 126) {
    header[h++] = static_cast<unsigned char>(0x80 | n);
  } else if (n <= 0xFFFF) {
    header[h++] = 0x80 | 126;
    header[h++] = static_cast<unsigned char>(n >> 8);
    header[h++] = static_cast<unsigned char>(n);
  } else {
    header[h++] = 0x80 | 127;
    for (int shift = 56; shift >= 0; shift -= 8) header[h++] = static_cast<unsigned char>(n >> shift);
  }
  std::memcpy(header + h, &mask_key, 4);  // the key's bytes as they lie in memory
  h += 4;
  const std::size_t start = out.size();
  out.resize(start + h + n);  // amortised: the buffer keeps its capacity between writes
  char* w = out.data() + start;
  std::memcpy(w, header, h);
  w += h;
  // Mask eight bytes at a time: byte i is XORed with key byte i % 4.
  std::uint64_t key8 = 0;
  std::memcpy(&key8, &mask_key, 4);
  std::memcpy(reinterpret_cast<char*>(&key8) + 4, &mask_key, 4);
  const char* r = payload.data();
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t v;
    std::memcpy(&v, r + i, 8);
    v ^= key8;
    std::memcpy(w + i, &v, 8);
  }
  const auto* key = reinterpret_cast<const unsigned char*>(&key8);
  for (; i < n; ++i) w[i] = static_cast<char>(static_cast<unsigned char>(r[i]) ^ key[i % 4]);
}

parse_status parse_server_frame(const char* data, std::size_t size, std::size_t max_size, server_frame& out,
                                std::size_t& used) noexcept {
  used = 0;
  if (size < 2) return parse_status::incomplete;
  const auto* p = reinterpret_cast<const unsigned char*>(data);
  if (p[1] & 0x80) return parse_status::bad;  // servers never mask
  std::uint64_t n = p[1] & 0x7F;
  std::size_t h = 2;
  if (n == 126) {
    if (size < 4) return parse_status::incomplete;
    n = (std::uint64_t{p[2]} << 8) | p[3];
    h = 4;
  } else if (n == 127) {
    if (size < 10) return parse_status::incomplete;
    n = 0;
    for (int i = 2; i < 10; ++i) n = (n << 8) | p[i];
    h = 10;
  }
  if (n > max_size) return parse_status::bad;
  const std::size_t total = h + static_cast<std::size_t>(n);
  if (size < total) {
    used = total;
    return parse_status::incomplete;
  }
  out.fin = (p[0] & 0x80) != 0;
  out.op = static_cast<opcode>(p[0] & 0x0F);
  out.payload = std::string_view(data + h, static_cast<std::size_t>(n));
  used = total;
  return parse_status::frame;
}

}  // namespace relay::bench
