// Private: a small strict CBOR reader for the COSE structures of the
// authentication exchange. It walks the input one item head at a time with
// libcbor's allocation-free streaming decoder (`cbor_stream_decode`), never
// with `cbor_load`, so a hostile declared length or element count costs
// nothing. Values the caller does not care about are skipped iteratively
// with a bounded explicit stack: nesting beyond `max_depth` containers is
// rejected, as ciborium (the reference's CBOR layer) rejects it with its
// recursion limit of 256.
#pragma once

#include <cstdint>
#include <deque>
#include <string_view>

#include "relay/protocol/types.hpp"

namespace relay::protocol::cbor {

/// ciborium's default recursion limit: arrays, maps and (non-bignum) tags
/// may nest this deep, counting the outermost container as 1.
inline constexpr int max_depth = 256;

enum class item_type : std::uint8_t {
  unsigned_int,  ///< arg = value
  negative_int,  ///< arg = n, the value is -1 - n
  bytes,         ///< definite: data; indefinite: chunks follow, then a break
  text,          ///< same as bytes; definite text is valid UTF-8
  array,         ///< definite: arg = element count
  map,           ///< definite: arg = entry count
  tag,           ///< arg = tag number; one item follows
  boolean,       ///< arg = 0 or 1
  null,          ///< null or undefined (ciborium reads both as Value::Null)
  floating,
  brk,           ///< the break stop code (0xff)
};

struct head {
  item_type type = item_type::null;
  bool indefinite = false;
  std::uint64_t arg = 0;
  byte_span data;  ///< payload of a definite byte or text string
};

/// Reads item heads from a byte string. Every head is checked for the
/// structural facts that can be decided locally: truncation, reserved
/// encodings, invalid UTF-8 in definite text, and element counts that the
/// remaining input cannot possibly hold.
class reader {
 public:
  explicit reader(byte_span input) noexcept : in_(input) {}

  /// Reads the next head; false on malformed or truncated input.
  bool next(head& out) noexcept;

  bool at_end() const noexcept { return pos_ == in_.size(); }
  std::size_t remaining() const noexcept { return in_.size() - pos_; }

 private:
  byte_span in_;
  std::size_t pos_ = 0;
};

/// Owns the concatenation of indefinite-length strings so spans into it
/// stay valid while a structure is parsed (std::deque never moves elements).
using string_storage = std::deque<byte_vector>;

/// Skips the rest of the value whose first head is `first`. `depth` is the
/// number of containers already open around the value (0 at top level).
/// Iterative: the explicit stack is bounded by max_depth.
bool skip_value(reader& r, const head& first, int depth) noexcept;

/// Reads a byte (or text, per `first.type`) string value whose head is
/// `first`, concatenating indefinite chunks into `storage`.
bool read_string(reader& r, const head& first, string_storage& storage, byte_span& out);

/// A value as ciborium::Value would classify it, for the typed positions of
/// COSE (labels, alg, kty, kid, ...). Containers and tags are consumed
/// entirely; only their kind is reported.
struct scalar {
  enum class kind : std::uint8_t { integer, bytes, text, null, boolean, floating, array, map, tag };
  kind k = kind::null;
  bool negative = false;    ///< integer: value is -1 - magnitude when set
  std::uint64_t magnitude = 0;
  byte_span data;           ///< bytes or text content

  /// The integer as an i64 (coset converts labels and alg values so).
  bool as_i64(std::int64_t& out) const noexcept;
  std::string_view text_view() const noexcept {
    return {reinterpret_cast<const char*>(data.data()), data.size()};
  }
};

/// Reads the whole value whose first head is `first` into `out`, following
/// ciborium's reading of it (bignum tags 2/3 of at most 8 significant bytes
/// are integers; 9 to 16 are an error; longer ones stay tags).
bool read_scalar(reader& r, const head& first, int depth, string_storage& storage, scalar& out);

}  // namespace relay::protocol::cbor
