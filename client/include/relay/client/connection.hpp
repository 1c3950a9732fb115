// A WebSocket connection to a relay, with the protocol's client side on
// top: authenticate, rendezvous, send and receive. Thread-safe; all network
// work happens on one internal thread, so every call returns promptly and
// every wait takes a timeout.
//
// Typical use:
//
//   auto key = relay::client::load_key_file("me.key");
//   auto c = relay::client::connection::open("ws://127.0.0.1:8080");
//   // or wss://, verified against the system's CAs or a CA file:
//   //   connection::open("wss://relay.example:443", {.ca_file = "ca.pem"});
//   c->authenticate(key, 5s, 300ms);       // throws auth_error if refused
//   c->enable_keepalive(30s);               // stay under the relay's idle timeout
//   std::string code = c->get_rendezvous(); // hand this to the peer
//   c->run_events([](const relay::protocol::message& m) { ... }, stop_token);
//
// Failures are exceptions derived from client_error (see errors.hpp):
// url_error, connect_error, auth_error, closed_error, timeout_error.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "relay/client/errors.hpp"
#include "relay/protocol/keys.hpp"
#include "relay/protocol/messages.hpp"
#include "relay/protocol/wire_format.hpp"

namespace relay::client {

using namespace std::chrono_literals;
using duration = std::chrono::milliseconds;

/// A wait without a time limit (run_events); every other wait should be bounded.
inline constexpr duration forever = duration::max();

/// One thing that happened on the connection, in arrival order.
struct event {
  enum class kind { text, binary, closed } type = kind::text;
  std::string data;   ///< frame contents (text or binary)
  close_info close;   ///< for kind::closed
};

/// Called by run_events() for every decoded protocol message.
using message_handler = std::function<void(const protocol::message&)>;

/// Why run_events() returned (a closed connection throws instead).
enum class run_end { stopped, timed_out };

/// How open() connects.
struct connect_options {
  /// Bounds the TCP connect, the TLS handshake and the WebSocket upgrade.
  duration timeout = 5s;
  /// wss:// only: PEM file of the CA certificate(s) to trust; empty means
  /// the system's default trust store. The relay's certificate must chain to
  /// one of them and name the URL's host (DNS name or IP address).
  std::string ca_file;
  /// wire_format::binary asks for the opt-in binary dialect at upgrade
  /// (Sec-WebSocket-Protocol: relay-binary-v1): messages then travel as
  /// binary frames in protocol/binary_codec.hpp's encoding. open() throws
  /// connect_error if the relay does not agree. Raw send_text()/
  /// send_binary() are unaffected.
  protocol::wire_format format = protocol::wire_format::json;
};

class connection {
 public:
  /// Connects and upgrades to `url` (ws://HOST:PORT[/path] or
  /// wss://HOST[:PORT][/path]). Throws url_error for a malformed URL,
  /// connect_error when the relay cannot be reached, its certificate is not
  /// trusted or does not name the host (wss://), or it refuses the upgrade.
  static std::unique_ptr<connection> open(const std::string& url, duration timeout = 5s);
  static std::unique_ptr<connection> open(const std::string& url, const connect_options& options);

  /// The URL check open() starts with, without connecting: throws
  /// url_error for what open() would refuse (lets a tool report a bad
  /// URL before doing anything else).
  static void check_url(const std::string& url);

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
  /// Starts a close handshake with `code` (after every frame queued before).
  void close(std::uint16_t code = 1000, std::string reason = {});
  /// Next event, or nullopt after `timeout`.
  std::optional<event> next_event(duration timeout);
  /// Waits up to `timeout` for the connection to end; returns how it ended.
  std::optional<close_info> wait_closed(duration timeout);
  /// Closes with 1000 and waits up to `timeout` for the relay's answer, so
  /// every frame queued before has been written. Returns how it ended
  /// (nullopt if the handshake did not finish in time).
  std::optional<close_info> close_gracefully(duration timeout = 2s);

  /// Pings the relay every `interval` from the network thread, so a
  /// connection that only listens is not closed by the relay's idle
  /// timeout. When nothing at all (frame or pong) arrives for three
  /// intervals the socket is cut and the connection ends with 1006
  /// "keepalive timeout". A zero interval turns keepalive off.
  void enable_keepalive(duration interval);

  // --- protocol ---

  /// Reads the challenge and answers it. The protocol has no success
  /// message, so the relay's verdict is only visible as a close: with a
  /// non-zero `settle` this waits that long and throws auth_error (with the
  /// close code and reason) if the relay closed the connection. Throws
  /// timeout_error if no challenge arrives within `timeout`, closed_error
  /// if the relay closes before sending one.
  void authenticate(const protocol::identity_key_pair& key, duration timeout = 5s,
                    duration settle = 0ms);

  /// Sends a protocol message (encoded in format()).
  void send(const protocol::message& msg);
  /// Sends `payload` to `destination`.
  void send_to(const protocol::fingerprint& destination, protocol::byte_vector payload);

  /// Next decoded protocol message. Frames that do not decode in format()
  /// (or are of the other frame kind) are skipped.
  /// nullopt on timeout; throws closed_error once the connection has ended.
  std::optional<protocol::message> receive(duration timeout);

  /// Calls `on_message` (on the calling thread) for every decoded message
  /// until `stop` is requested or `timeout` passes; throws closed_error
  /// when the connection ends. The callback may call send()/send_to().
  run_end run_events(const message_handler& on_message, std::stop_token stop = {},
                     duration timeout = forever);

  /// Asks for a rendezvous code and waits for it; throws timeout_error when
  /// none arrives in time. Other messages that arrive meanwhile are dropped.
  std::string get_rendezvous(duration timeout = 5s,
                             protocol::spelling spelling = protocol::spelling::current);
  /// Claims a code; nullopt if the relay did not answer within `timeout`
  /// (the relay stays silent for unknown, used and expired codes).
  std::optional<protocol::identity_info> claim(const std::string& code, duration timeout = 5s);

  /// Our fingerprint after authenticate().
  const protocol::fingerprint& fp() const noexcept { return fp_; }
  /// The wire format agreed at upgrade.
  protocol::wire_format format() const noexcept { return format_; }

 private:
  struct impl;
  /// Receives until a message of kind T arrives (returned) or the deadline
  /// passes (nullopt); messages of other kinds stay queued for receive().
  template <class T>
  std::optional<T> await_kind(std::chrono::steady_clock::time_point deadline);
  explicit connection(std::unique_ptr<impl> d);
  std::optional<event> next_event_until(std::chrono::steady_clock::time_point deadline,
                                        const std::stop_token& stop);
  std::unique_ptr<impl> d_;
  protocol::fingerprint fp_{};
  protocol::wire_format format_ = protocol::wire_format::json;
};

}  // namespace relay::client
