// The WebSocket front end: accepts TCP connections, upgrades them with
// Boost.Beast and attaches each to a connection actor of a relay_core.
// Asio stays behind this header (pimpl), so including it is cheap.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <caf/fwd.hpp>

#include "relay/actors/relay_core.hpp"
#include "relay/net/admin.hpp"

namespace relay::net {

/// The default for --io-threads: one thread per core, at least two. With
/// the actors on the I/O threads these are all the relay's threads (half of
/// them serve sockets, the others help a loop that falls behind; see
/// run_actors_on_io_threads). At least two, so that a loop a flooding client
/// keeps busy gets a helper and the other clients on it are not held up.
unsigned default_thread_count() noexcept;

struct server_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;  ///< 0 picks a free port (see server::port())
  /// Threads running the Asio event loop; ignored when the actor system runs
  /// its actors on I/O threads (run_actors_on_io_threads): the server then
  /// shares those threads and run() only waits for stop().
  unsigned io_threads = default_thread_count();
  /// Time the whole graceful shutdown may take before remaining sockets are cut.
  unsigned shutdown_grace_ms = 3000;
  /// After SIGINT/SIGTERM: time the server keeps serving, not ready (/readyz
  /// 503, accepting() false), before it stops; a second signal stops at once.
  /// 0 (the library's default) stops at once; the relay's --drain-seconds
  /// defaults to 5 s. stop() never drains.
  unsigned drain_ms = 0;
  /// wss://: PEM certificate chain and private key (both or neither; empty =
  /// plain ws://). Read at start(); re-read on SIGHUP (see reload_tls()).
  std::string tls_cert, tls_key;
  /// Metrics and health endpoint started by serve_until_signal (off by default).
  admin_options admin;
};

/// Parses "HOST:PORT" or "[V6]:PORT" into `out.host` and `out.port`;
/// false (and `out` untouched) when malformed.
bool parse_listen_address(const std::string& text, server_options& out);

class server {
 public:
  server(caf::actor_system& sys, relay_core core, server_options opts);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Binds and listens. Throws std::system_error when the address cannot be
  /// bound (the message says which address and why).
  void start();

  /// The bound port (useful with port 0). Valid after start().
  std::uint16_t port() const;

  /// From now on SIGINT and SIGTERM trigger stop(), after the drain period
  /// if there is one (and, with TLS, SIGHUP triggers reload_tls()). Call it before telling anyone the server is
  /// ready, so an early signal still stops it cleanly.
  void catch_signals();

  /// Re-reads the TLS certificate and key files into a new context used by
  /// connections accepted from now on; open connections keep theirs. On
  /// failure logs an error, keeps the current context and returns false.
  /// Thread-safe. Also false when TLS is off.
  bool reload_tls();

  /// TLS is on (wss://).
  bool tls() const;

  /// Runs the event loop on the configured threads until stop() completes.
  /// With `until_signal`, catch_signals() is called first (if it was not).
  void run(bool until_signal);

  /// Graceful stop: close the listening socket, send close 1001 to every
  /// client, leave the cluster (core.cluster, if any: peers purge this
  /// node's routes at once), wait (bounded) for the clients, then end run().
  /// Thread-safe.
  void stop();

  /// Listening, not draining and not shutting down (what /readyz reports).
  bool accepting() const;

  /// Open WebSocket sessions right now.
  std::size_t session_count() const;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

/// The whole life of a relay front end for a main(): starts a server for
/// `core`, then the admin endpoint if `opts.admin.enabled` (printing "admin
/// listening on http://HOST:PORT"), prints "listening on ws://HOST:PORT" (wss:// with TLS) on stdout, serves until
/// SIGINT/SIGTERM (graceful: drain for opts.drain_ms, then stop() as above), then stops the
/// core's actors. Returns the process exit status: 0, or 1 when the address
/// cannot be bound (the reason goes to stderr).
int serve_until_signal(caf::actor_system& sys, const relay_core& core, const server_options& opts);

/// Raises the soft RLIMIT_NOFILE to the hard limit; returns the new soft limit.
std::uint64_t raise_open_files_limit();

}  // namespace relay::net
