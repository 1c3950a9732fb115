// The compact binary encoding of the relay's messages: cereal's portable
// binary archive (little-endian, sizes as u64) of a one-byte variant tag and
// the message's fields, byte strings raw instead of decimal JSON arrays.
// Used for frames between cluster nodes and for the opt-in binary dialect.
// Decoding is strict and bounded: no length claim can allocate more than
// the input's size, trailing bytes are an error, nothing throws.
#pragma once

#include <string>
#include <string_view>

#include "relay/protocol/json_codec.hpp"
#include "relay/protocol/messages.hpp"

namespace relay::protocol {

/// Appends the binary encoding of `msg` to `out`.
void encode_binary_to(const message& msg, std::string& out);

/// The binary encoding of `msg`.
std::string encode_binary(const message& msg);

/// Decodes one binary message; decode_error::none on success.
decode_error decode_binary(std::string_view bytes, message& out) noexcept;

}  // namespace relay::protocol
