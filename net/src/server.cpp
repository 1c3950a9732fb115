// Listener, event-loop threads, signals and graceful shutdown.
#include "relay/net/server.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <condition_variable>
#include <csignal>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <vector>

#include <caf/all.hpp>

#include "asio.hpp"
#include "http_session.hpp"
#include "io_scheduler.hpp"
#include "relay/actors/messages.hpp"
#include "relay/log.hpp"
#include "tls_context.hpp"
#include "session_tracker.hpp"

namespace relay::net {

unsigned default_thread_count() noexcept { return std::max(2u, std::thread::hardware_concurrency()); }

namespace {
constexpr auto min_backoff = std::chrono::milliseconds(10);
constexpr auto max_backoff = std::chrono::milliseconds(1000);

bool out_of_resources(const error_code& ec) {
  return ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
         ec == asio::error::no_memory || ec.value() == ENFILE;
}
}  // namespace

struct server::impl : std::enable_shared_from_this<server::impl> {
  impl(caf::actor_system& s, relay_core c, server_options o)
      : sys(s), core(std::move(c)), opts(std::move(o)), shared_loop(io_scheduler::of(s)),
        own_ioc(shared_loop ? nullptr : std::make_unique<asio::io_context>()),
        ioc(shared_loop ? shared_loop->context() : *own_ioc), acceptor(asio::make_strand(ioc)),
        backoff_timer(acceptor.get_executor()), drain_timer(acceptor.get_executor()), signals(ioc), tracker(std::make_shared<session_tracker>()),
        work(asio::make_work_guard(ioc)) {}

  caf::actor_system& sys;
  relay_core core;
  server_options opts;
  // The event loop: the actor system's I/O threads when its actors run
  // there (run_actors_on_io_threads), else one of our own that run() drives.
  io_scheduler* shared_loop;
  std::unique_ptr<asio::io_context> own_ioc;
  asio::io_context& ioc;
  // With a shared loop, run() waits for this instead of running the loop.
  std::mutex stopped_mutex;
  std::condition_variable stopped_cv;
  bool stopped = false;
  tcp::acceptor acceptor;
  tcp::endpoint accepted_peer;  // filled by each accept (on the acceptor's strand)
  asio::steady_timer backoff_timer;
  asio::steady_timer drain_timer;  // ends the drain period (on the acceptor's strand)
  std::chrono::milliseconds backoff = min_backoff;
  asio::signal_set signals;
  std::shared_ptr<session_tracker> tracker;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  std::atomic<bool> draining{false};  // signalled: not ready, still serving until the drain ends
  std::atomic<bool> stopping{false};
  std::mutex stopper_mutex;  // held by begin_stop throughout and by ~server while it joins stopper
  std::thread stopper;       // the bounded wait of a stop (begin_stop)
  std::atomic<bool> catching_signals{false};
  std::uint16_t bound_port = 0;
  // wss://: the context new connections get (null = plain ws). Replaced
  // whole on reload; sessions hold the one they started with.
  mutable std::mutex tls_mutex;
  std::shared_ptr<ssl::context> tls_context;

  std::shared_ptr<ssl::context> current_tls() const {
    std::lock_guard<std::mutex> guard{tls_mutex};
    return tls_context;
  }

  bool reload_tls() {
    if (!current_tls()) return false;
    try {
      auto fresh = make_tls_server_context(opts.tls_cert, opts.tls_key);
      std::lock_guard<std::mutex> guard{tls_mutex};
      tls_context = std::move(fresh);
    } catch (const std::exception& e) {
      RELAY_LOG(error, "TLS reload failed, keeping the previous certificate: " << e.what());
      return false;
    }
    RELAY_LOG(info, "TLS certificate reloaded from " << opts.tls_cert << " (new connections only)");
    return true;
  }

  // SIGINT/SIGTERM start the drain (or stop at once without one, or when
  // already draining); SIGHUP reloads the certificate. Either way the next
  // signal is awaited until the stop begins.
  void wait_signal() {
    signals.async_wait([self = shared_from_this()](error_code ec, int sig) {
      if (ec) return;
      RELAY_LOG(info, "signal " << sig << " received");
      if (sig == SIGHUP) {
        self->reload_tls();
        return self->wait_signal();
      }
      if (self->opts.drain_ms == 0 || self->draining.load()) return self->begin_stop();
      self->begin_drain();
      self->wait_signal();
    });
  }

  // Not ready from now on (a load balancer polling /readyz moves new
  // clients away), but everything is served as before until the drain ends.
  void begin_drain() {
    if (stopping.load() || draining.exchange(true)) return;
    RELAY_LOG(info, "draining for " << opts.drain_ms << " ms: /readyz is 503, " << tracker->size()
                                    << " connection(s) served until then (signal again to stop now)");
    asio::post(acceptor.get_executor(), [self = shared_from_this()] {
      self->drain_timer.expires_after(std::chrono::milliseconds(self->opts.drain_ms));
      self->drain_timer.async_wait([self](error_code e) {
        if (!e) self->begin_stop();
      });
    });
  }

  // A cluster node tells its peers it leaves, so they purge its routes now
  // rather than when its link closes or times out. Bounded: the cluster
  // actor answers once every peer acknowledged or its claim timeout passed.
  void leave_cluster() {
    if (!core.cluster) return;
    caf::scoped_actor self{sys};
    self->request(core.cluster, std::chrono::seconds(5), leave_atom::value)
      .receive([](caf::atom_value) {},
               [](const caf::error& err) { RELAY_LOG(warn, "cluster: leave not confirmed: " << to_string(err)); });
  }

  // On the actor system's loops each connection lives on one socket loop,
  // in turn, with the actors its frames wake.
  asio::io_context& next_connection_context() { return shared_loop ? shared_loop->next_context() : ioc; }

  void accept_next() {
    // The peer's address comes with the accepted socket (accept4 returns
    // it), so no getpeername is needed later; accepts are serialised on
    // the acceptor's strand, so one endpoint member serves them all.
    acceptor.async_accept(asio::make_strand(next_connection_context()), accepted_peer,
                          [self = shared_from_this()](error_code ec, connection_socket s) {
                            self->on_accept(ec, std::move(s));
                          });
  }

  void on_accept(error_code ec, connection_socket socket) {
    if (stopping.load() || ec == asio::error::operation_aborted) return;
    if (ec) {
      if (out_of_resources(ec)) {
        // Out of descriptors: keep serving open connections, retry later
        // instead of spinning on a failing accept.
        RELAY_LOG(warn, "accept failed (" << ec.message() << "), retrying in " << backoff.count()
                                          << " ms; raise the open-files limit (ulimit -n) for more clients");
        backoff_timer.expires_after(backoff);
        backoff = std::min(backoff * 2, max_backoff);
        backoff_timer.async_wait([self = shared_from_this()](error_code e) {
          if (!e) self->accept_next();
        });
        return;
      }
      RELAY_LOG(warn, "accept failed: " << ec.message());
      return accept_next();
    }
    backoff = min_backoff;
    if (tracker->size() >= core.config->max_connections) {
      RELAY_LOG(warn, "connection refused: limit of " << core.config->max_connections << " reached");
      error_code ignored;
      socket.close(ignored);
    } else {
      // Started on its own loop: every handler of the connection runs there.
      auto session = std::make_shared<http_session>(std::move(socket), accepted_peer, sys, core, tracker, current_tls());
      auto where = session->executor();
      asio::dispatch(where, [session = std::move(session)] { session->start(); });
    }
    accept_next();
  }

  void begin_stop() {
    // Under stopper_mutex from the start: a server being destroyed either
    // waits for this stop's thread or has forbidden the stop already.
    std::lock_guard<std::mutex> guard{stopper_mutex};
    if (stopping.exchange(true)) return;
    asio::post(acceptor.get_executor(), [self = shared_from_this()] {
      error_code ignored;
      self->acceptor.close(ignored);
      self->backoff_timer.cancel();
      self->drain_timer.cancel();
      self->signals.cancel();
    });
    RELAY_LOG(info, "shutting down: closing " << tracker->size() << " connection(s)");
    tracker->close_all([](transport& t) { t.close(close_code::going_away, "server shutting down"); });
    // Leave the cluster while the close handshakes run, wait (bounded) for
    // those, then let run() return. The thread holds no reference: ~server
    // joins it, so the server (its acceptor, timers and signal set) is
    // never destroyed on it, after the io_context they belong to.
    stopper = std::thread([this] {
      auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(opts.shutdown_grace_ms);
      leave_cluster();
      if (!tracker->wait_until_empty(deadline))
        RELAY_LOG(warn, "shutdown grace of " << opts.shutdown_grace_ms << " ms over with " << tracker->size()
                                             << " connection(s) still closing; cutting them");
      work.reset();
      end_run();
    });
  }

  // ~server: no stop may start from now on; one that has started ends first.
  void forbid_stop_and_join() {
    std::lock_guard<std::mutex> guard{stopper_mutex};
    stopping = true;
    if (stopper.joinable()) stopper.join();
  }

  // Our own loop has stopped (run() returned, or never ran): end what the
  // stop posted to the acceptor's strand may not have reached before the
  // loop stopped, and run the handlers that completes. They hold this impl,
  // which owns the loop: left pending, they would keep it (and the relay
  // core's actors it refers to) alive for good.
  void settle_own_loop() {
    if (!own_ioc) return;
    error_code ignored;
    acceptor.close(ignored);
    backoff_timer.cancel();
    drain_timer.cancel();
    signals.cancel(ignored);
    own_ioc->restart();
    own_ioc->poll();
  }

  void end_run() {
    if (own_ioc) return own_ioc->stop();
    std::lock_guard<std::mutex> guard{stopped_mutex};
    stopped = true;
    stopped_cv.notify_all();
  }
};

server::server(caf::actor_system& sys, relay_core core, server_options opts)
    : impl_(std::make_shared<impl>(sys, std::move(core), std::move(opts))) {}

server::~server() {
  impl_->forbid_stop_and_join();
  if (impl_->own_ioc) impl_->own_ioc->stop();
  impl_->settle_own_loop();
}

void server::start() {
  auto& d = *impl_;
  if (d.opts.tls_cert.empty() != d.opts.tls_key.empty())
    throw std::invalid_argument("a TLS certificate and key go together");
  if (!d.opts.tls_cert.empty()) {
    auto ctx = make_tls_server_context(d.opts.tls_cert, d.opts.tls_key);
    std::lock_guard<std::mutex> guard{d.tls_mutex};
    d.tls_context = std::move(ctx);
  }
  error_code ec;
  auto address = asio::ip::make_address(d.opts.host, ec);
  if (ec) throw std::system_error(ec, "invalid listen address '" + d.opts.host + "'");
  tcp::endpoint endpoint{address, d.opts.port};
  auto where = d.opts.host + ":" + std::to_string(d.opts.port);
  d.acceptor.open(endpoint.protocol(), ec);
  if (!ec) d.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) d.acceptor.bind(endpoint, ec);
  if (!ec) d.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw std::system_error(ec, "cannot listen on " + where);
  d.bound_port = d.acceptor.local_endpoint().port();
  d.accept_next();
}

std::uint16_t server::port() const { return impl_->bound_port; }

void server::catch_signals() {
  auto& d = *impl_;
  if (d.catching_signals.exchange(true)) return;
  d.signals.add(SIGINT);
  d.signals.add(SIGTERM);
  // Only a TLS server has something to reload; a plain one keeps SIGHUP's
  // default (a relay started from a terminal still ends with it).
  if (!d.opts.tls_cert.empty()) d.signals.add(SIGHUP);
  d.wait_signal();
}

bool server::reload_tls() { return impl_->reload_tls(); }

bool server::tls() const { return impl_->current_tls() != nullptr; }

void server::run(bool until_signal) {
  auto& d = *impl_;
  if (until_signal) catch_signals();
  if (!d.own_ioc) {
    std::unique_lock<std::mutex> guard{d.stopped_mutex};
    d.stopped_cv.wait(guard, [&d] { return d.stopped; });
    return;
  }
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < std::max(1u, d.opts.io_threads); ++i) threads.emplace_back([&d] { d.ioc.run(); });
  d.ioc.run();
  for (auto& t : threads) t.join();
  d.settle_own_loop();
}

void server::stop() { impl_->begin_stop(); }

bool server::accepting() const {
  return impl_->bound_port != 0 && !impl_->stopping.load() && !impl_->draining.load();
}

std::size_t server::session_count() const { return impl_->tracker->size(); }

bool parse_listen_address(const std::string& text, server_options& out) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) return false;
  auto host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) return false;
  unsigned port = 0;
  for (char c : text.substr(colon + 1)) {
    if (c < '0' || c > '9') return false;
    port = port * 10 + static_cast<unsigned>(c - '0');
    if (port > 65535) return false;
  }
  out.host = host;
  out.port = static_cast<std::uint16_t>(port);
  return true;
}

int serve_until_signal(caf::actor_system& sys, const relay_core& core, const server_options& opts) {
  server srv{sys, core, opts};
  try {
    srv.start();
    srv.catch_signals();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "relay: %s\n", e.what());
    shutdown_relay_core(core);
    return 1;
  }
  std::unique_ptr<admin_server> admin;
  if (opts.admin.enabled) {
    admin = std::make_unique<admin_server>(core, opts.admin, [&srv] { return srv.accepting(); });
    try {
      admin->start();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "relay: %s\n", e.what());
      shutdown_relay_core(core);
      return 1;
    }
    // Before the "listening on ws://" line: whoever waits for that one has both.
    std::printf("admin listening on %s\n", admin->url().c_str());
    log::event(log::level::info, "admin_listening", {{"url", admin->url()}});
  }
  bool v6 = opts.host.find(':') != std::string::npos;
  auto host = v6 ? "[" + opts.host + "]" : opts.host;
  std::printf("listening on %s://%s:%u\n", srv.tls() ? "wss" : "ws", host.c_str(),
              static_cast<unsigned>(srv.port()));
  std::fflush(stdout);
  RELAY_LOG(info, "relay ready on " << host << ":" << srv.port());
  srv.run(true);
  if (admin) admin->stop();
  shutdown_relay_core(core);
  RELAY_LOG(info, "relay stopped");
  return 0;
}

std::uint64_t raise_open_files_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return 0;
  if (lim.rlim_cur < lim.rlim_max) {
    rlimit raised = lim;
    raised.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
  }
  return lim.rlim_cur;
}

}  // namespace relay::net
