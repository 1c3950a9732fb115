// Raw WebSocket framing for the hot path. Beast does the upgrade and reads
// the challenge; after that the load generator writes many masked client
// frames per syscall and parses the relay's (unmasked) frames itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace relay::bench {

enum class opcode : std::uint8_t { continuation = 0, text = 1, binary = 2, close = 8, ping = 9, pong = 10 };

/// Appends one final client frame (masked with `mask_key`, RFC 6455 5.3).
void append_client_frame(std::string& out, opcode op, std::string_view payload, std::uint32_t mask_key);

struct server_frame {
  opcode op = opcode::text;
  bool fin = true;
  std::string_view payload;
};

enum class parse_status { frame, incomplete, bad };

/// Parses one server frame at the start of [data, data + size). On `frame`,
/// `used` is the frame's total size; on `incomplete`, `used` is the total
/// size needed when the header is complete (else 0); `bad` for a masked
/// server frame or a 64-bit length beyond `max_size`.
parse_status parse_server_frame(const char* data, std::size_t size, std::size_t max_size, server_frame& out,
                                std::size_t& used) noexcept;

}  // namespace relay::bench
