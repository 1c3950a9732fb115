// The two encodings a client can speak. JSON (text frames, serde-compatible)
// is what every client gets. The binary dialect (binary frames in the
// protocol/binary_codec.hpp layout) is opt-in: a client asks for it at the
// WebSocket upgrade with `Sec-WebSocket-Protocol: relay-binary-v1`, and the
// relay agrees by echoing the value. Nothing changes for a client that does
// not ask.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "relay/protocol/json_codec.hpp"
#include "relay/protocol/messages.hpp"

namespace relay::protocol {

enum class wire_format : std::uint8_t {
  json,    ///< text frames, serde_json's encoding
  binary,  ///< binary frames, encode_binary()'s encoding
};

/// The Sec-WebSocket-Protocol value that selects the binary dialect.
inline constexpr std::string_view binary_subprotocol = "relay-binary-v1";

/// True if `header` (a Sec-WebSocket-Protocol value: comma-separated
/// tokens, optional whitespace) lists `token`.
bool lists_subprotocol(std::string_view header, std::string_view token) noexcept;

/// Appends `msg` in `format` to `out`.
void encode_to(const message& msg, wire_format format, std::string& out);

/// `msg` in `format`.
std::string encode(const message& msg, wire_format format);

/// Decodes one frame in `format`; decode_error::none on success.
decode_error decode(std::string_view bytes, wire_format format, message& out) noexcept;

}  // namespace relay::protocol
