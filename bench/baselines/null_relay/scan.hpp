// The null relay's whole "protocol": string searches and byte scans, no
// JSON parsing and no signature check. Good enough to route real clients'
// frames; not a validator.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "relay/protocol/types.hpp"

namespace relay::null_relay {

/// The integers of the array that follows `key` (e.g. `"destination":[`),
/// each taken as a byte; nullopt if the key is absent or an element is not
/// a plain decimal 0..255. At most `limit` elements.
std::optional<std::vector<std::uint8_t>> int_array_after(std::string_view text, std::string_view key,
                                                         std::size_t limit);

/// The same into a fixed 32-byte array; false unless exactly 32 elements.
bool fingerprint_after(std::string_view text, std::string_view key, protocol::fingerprint& out);

/// The raw public key inside COSE_Key bytes, found by its CBOR byte-string
/// header (32 bytes: Ed25519; 1952 bytes: ML-DSA-65). Empty if neither.
std::span<const std::uint8_t> public_key_in(std::span<const std::uint8_t> cose_key);

/// `{"Send":{"source":[..],` for a fingerprint: the prefix every forwarded
/// frame starts with.
std::string source_prefix(const protocol::fingerprint& fp);

/// The frame with the source spliced in: prefix + frame minus `{"Send":{`.
/// Empty if the frame does not start with `{"Send":{`.
std::string splice_source(std::string_view prefix, std::string_view frame);

}  // namespace relay::null_relay
