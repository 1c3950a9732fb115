// A WebSocket connection to a relay, with the protocol's client side on
// top: authenticate, rendezvous, send and receive. Thread-safe; all network
// work happens on one internal thread, so every call returns promptly and
// every wait takes a timeout.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "relay/protocol/keys.hpp"
#include "relay/protocol/messages.hpp"

namespace relay::client {

using namespace std::chrono_literals;
using duration = std::chrono::milliseconds;

/// Any failure: connect refused, bad URL, timeout, authentication refused.
class client_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// How the relay (or the network) ended the connection.
struct close_info {
  std::uint16_t code = 0;  ///< WebSocket close code; 1006 when no close frame arrived
  std::string reason;
};

/// One thing that happened on the connection, in arrival order.
struct event {
  enum class kind { text, binary, closed } type = kind::text;
  std::string data;   ///< frame contents (text or binary)
  close_info close;   ///< for kind::closed
};

class connection {
 public:
  /// Connects and upgrades to `url` (ws://HOST:PORT[/path]). Throws client_error.
  static std::unique_ptr<connection> open(const std::string& url, duration timeout = 5s);

  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  // --- raw frames (tests use these to send exactly what they want) ---

  /// Queues a text frame.
  void send_text(std::string text);
  /// Queues a binary frame.
  void send_binary(std::string data);
  /// Queues a ping.
  void ping();
  /// Starts a close handshake with `code`.
  void close(std::uint16_t code = 1000, std::string reason = {});
  /// Next event, or nullopt after `timeout`.
  std::optional<event> next_event(duration timeout);
  /// Waits up to `timeout` for the connection to end; returns how it ended.
  std::optional<close_info> wait_closed(duration timeout);

  // --- protocol ---

  /// Reads the challenge and answers it. Returns normally when the relay
  /// kept the connection for `settle` after the response (the protocol has
  /// no success message); throws client_error with the close reason if the
  /// relay closed it.
  void authenticate(const protocol::identity_key_pair& key, duration timeout = 5s,
                    duration settle = 0ms);

  /// Sends a protocol message.
  void send(const protocol::message& msg);
  /// Sends `payload` to `destination`.
  void send_to(const protocol::fingerprint& destination, protocol::byte_vector payload);

  /// Next decoded protocol message. Frames that do not decode are skipped.
  /// nullopt on timeout; throws client_error if the connection closed.
  std::optional<protocol::message> receive(duration timeout);

  /// Asks for a rendezvous code and waits for it.
  std::string get_rendezvous(duration timeout = 5s,
                             protocol::spelling spelling = protocol::spelling::current);
  /// Claims a code; nullopt if the relay did not answer within `timeout`.
  std::optional<protocol::identity_info> claim(const std::string& code, duration timeout = 5s);

  /// Our fingerprint after authenticate().
  const protocol::fingerprint& fp() const noexcept { return fp_; }

 private:
  struct impl;
  explicit connection(std::unique_ptr<impl> d);
  std::unique_ptr<impl> d_;
  protocol::fingerprint fp_{};
};

}  // namespace relay::client
