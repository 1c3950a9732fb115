// relay-cli's exit statuses: the contract scripts rely on. The same table
// is in `relay-cli --help` and in docs/relay-cli.md.
#pragma once

#include <stdexcept>
#include <string>

namespace relay::cli {

enum exit_code : int {
  exit_ok = 0,            ///< done (listen: also after SIGINT/SIGTERM)
  exit_failure = 1,       ///< relay unreachable, connection closed, key file unreadable, ...
  exit_usage = 2,         ///< bad flags or values (including a bad URL or fingerprint)
  exit_auth_refused = 3,  ///< the relay refused our authentication
  exit_no_answer = 4,     ///< code unknown/used/expired, or the relay did not answer in time
};

/// The text printed under "exit status" in every --help.
inline constexpr const char* exit_code_help =
  "Exit status:\n"
  "  0  success (listen and connect: also when stopped by SIGINT/SIGTERM)\n"
  "  1  runtime failure: relay unreachable, connection closed by the relay,\n"
  "     key file unreadable or invalid, file exists\n"
  "  2  usage error: unknown flag, missing or bad value, bad URL or fingerprint\n"
  "  3  the relay refused authentication\n"
  "  4  no answer in time: rendezvous code unknown, used or expired, no code\n"
  "     issued, listen --count not reached before --timeout\n";

/// Ends a command with a given status and message (for outcomes that are
/// not an exception of the client library, e.g. an unclaimed code).
class exit_error : public std::runtime_error {
 public:
  exit_error(exit_code code, const std::string& what) : std::runtime_error(what), code(code) {}
  exit_code code;
};

}  // namespace relay::cli
