// Access to ../shared/conformance: the files are read at run time from the
// shared folder beside the checkout (never copied into the repository).
#pragma once

#include <filesystem>
#include <string>

#include <rapidjson/document.h>

#include "relay/protocol/types.hpp"

namespace relay::test {

/// $RELAY_SHARED_DIR if set, else the folder configured at build time.
std::filesystem::path shared_dir();

/// The build's bin/ folder (relay, relay-cli), or $RELAY_BIN_DIR.
std::filesystem::path bin_dir();

/// Parses conformance/<name> (e.g. "auth.json"); fails the test if absent.
rapidjson::Document load_conformance(const std::string& name);

/// Hex string field -> bytes (fails the test on bad hex).
protocol::byte_vector hex_bytes(const std::string& hex);

/// The identities.json entry called `name`.
const rapidjson::Value& identity_named(const rapidjson::Document& identities,
                                       const std::string& name);

}  // namespace relay::test
