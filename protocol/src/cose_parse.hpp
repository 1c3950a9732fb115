// Private: strict parsers for the two COSE structures of the handshake,
// following what coset 0.4 accepts on top of ciborium 0.2 (see cose.cpp).
#pragma once

#include <cstdint>
#include <optional>

#include "cbor_reader.hpp"
#include "relay/protocol/types.hpp"

namespace relay::protocol::detail {

/// The parts of a COSE_Key the relay and the key-file loader look at.
struct cose_key_fields {
  bool kty_is_int = false;
  std::int64_t kty = 0;
  bool has_alg = false;
  bool alg_is_int = false;
  std::int64_t alg = 0;
  /// Values of the labels -1, -2 and -4 when they are byte strings.
  std::optional<byte_span> minus1, minus2, minus4;
};

/// CoseKey::from_slice: a map (definite or indefinite) with int/tstr labels,
/// no duplicate label, typed common parameters, kty present, nothing after
/// it. Spans may point into `input` or into `storage`. May throw
/// std::bad_alloc.
bool parse_cose_key(byte_span input, cbor::string_storage& storage, cose_key_fields& out);

}  // namespace relay::protocol::detail
