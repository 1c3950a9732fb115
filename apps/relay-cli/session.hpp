// What the network subcommands share: the --url/--key flags, connecting
// and authenticating with a clean refusal check, and parsing the values
// users type (fingerprints, rendezvous codes).
#pragma once

#include <memory>
#include <string>

#include "args.hpp"
#include "relay/client/connection.hpp"
#include "relay/protocol/keys.hpp"

namespace relay::cli {

/// How long we wait after answering the challenge for the relay to refuse
/// it. The protocol has no success message, so only silence tells us that
/// we are in; the relay verifies in well under a millisecond.
inline constexpr std::chrono::milliseconds auth_settle{300};

/// Timeouts for connecting and for the challenge.
inline constexpr std::chrono::milliseconds connect_timeout{5000};

/// Loads the key file of --key, connects to --url (wss:// verified against
/// --ca FILE, or the system's CAs) and authenticates.
/// Throws the client library's errors (mapped to exit codes by main).
std::unique_ptr<client::connection> open_session(const args& a);

/// 64 hex digits -> fingerprint; usage_error otherwise.
protocol::fingerprint parse_fingerprint(const std::string& hex);

/// A rendezvous code as typed: case-insensitive, dashes optional
/// ("abcdefghi" -> "ABC-DEF-GHI"); usage_error if it cannot be one.
std::string normalize_code(const std::string& typed);

}  // namespace relay::cli
