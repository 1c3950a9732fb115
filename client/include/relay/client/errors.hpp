// The exceptions of the client library. Every failure is a client_error;
// the subclasses let a caller (the CLI maps them to exit codes) tell the
// kinds apart without parsing messages.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace relay::client {

/// Any failure of the client library.
class client_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// How the relay (or the network) ended the connection.
struct close_info {
  std::uint16_t code = 0;  ///< WebSocket close code; 1006 when no close frame arrived
  std::string reason;
};

/// A URL the client cannot use (malformed, or a scheme it does not speak).
class url_error : public client_error {
 public:
  using client_error::client_error;
};

/// The relay could not be reached or refused the WebSocket upgrade.
class connect_error : public client_error {
 public:
  using client_error::client_error;
};

/// The connection ended; `info` says how (code 1006 when it was cut).
class closed_error : public client_error {
 public:
  closed_error(const std::string& what, close_info info) : client_error(what), info(std::move(info)) {}
  close_info info;
};

/// The relay closed the connection in answer to our authentication.
class auth_error : public closed_error {
 public:
  using closed_error::closed_error;
};

/// The relay did not answer within the allotted time (no challenge, no
/// rendezvous code).
class timeout_error : public client_error {
 public:
  using client_error::client_error;
};

/// A key file that cannot be read, parsed or written.
class key_file_error : public client_error {
 public:
  using client_error::client_error;
};

}  // namespace relay::client
