// The JSON codec: serde_json-compatible, strict, bounded, exception-free.
//
// `encode` writes exactly the compact bytes serde_json's `to_string` writes.
// `decode` accepts exactly what `serde_json::from_str::<Messages>` accepts
// (for either spelling of the rendezvous variants) and rejects the rest with
// an error value. Ignored values (unknown struct fields) are skipped without
// recursion, so no input can make the decoder's stack or memory grow with
// nesting depth; memory grows at most linearly with the input size.
#pragma once

#include <string>
#include <string_view>

#include "relay/protocol/messages.hpp"

namespace relay::protocol {

enum class decode_error : std::uint8_t {
  none = 0,
  syntax,            ///< not JSON (bad token, trailing data, bad escape, ...)
  not_an_enum,       ///< top level is neither a string nor a one-key object
  unknown_variant,   ///< variant name matches neither spelling
  wrong_shape,       ///< value of the variant has the wrong JSON type or arity
  missing_field,     ///< a required struct field is absent
  duplicate_field,   ///< a known struct field appears twice
  invalid_value,     ///< a number out of range, a float, wrong array length, ...
};

/// Short, stable, lower-case name of an error, for logs and counters.
const char* to_string(decode_error e) noexcept;

/// Decodes one frame. On success returns decode_error::none and sets `out`;
/// on failure `out` is left in an unspecified valid state.
decode_error decode(std::string_view text, message& out) noexcept;

/// Appends the compact serde_json encoding of `msg` to `out`.
void encode_to(const message& msg, std::string& out);

/// The compact serde_json encoding of `msg`.
std::string encode(const message& msg);

}  // namespace relay::protocol
