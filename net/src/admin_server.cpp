// The admin HTTP endpoint: a tiny Beast server on its own io_context and
// thread, so a scrape never competes with WebSocket traffic for a strand.
// Bounded everywhere: request header size, one request per connection, a
// deadline per connection and a cap on simultaneous connections.
#include "admin_server.hpp"

#include <malloc.h>

#include <atomic>
#include <system_error>
#include <thread>

#include "asio.hpp"
#include "relay/actors/observer_port.hpp"
#include "relay/log.hpp"
#include "relay/net/admin.hpp"
#include "relay/version.hpp"

namespace relay::net {

namespace {

constexpr std::size_t max_header_bytes = 8 * 1024;
constexpr auto request_deadline = std::chrono::seconds(5);
constexpr int max_admin_connections = 32;

class metrics_writer {
 public:
  void family(const char* name, const char* type, const char* help) {
    out_ += "# HELP relay_";
    out_ += name;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE relay_";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }
  void sample(const char* name, std::uint64_t value, const char* label = nullptr, const char* label_value = nullptr) {
    out_ += "relay_";
    out_ += name;
    if (label) {
      out_ += '{';
      out_ += label;
      out_ += "=\"";
      out_ += label_value;
      out_ += "\"}";
    }
    out_ += ' ';
    out_ += std::to_string(value);
    out_ += '\n';
  }
  template <class Counter>  // relay_stats::counter or hot_counter
  void counter(const char* name, const char* help, const Counter& c) {
    family(name, "counter", help);
    sample(name, c.load(std::memory_order_relaxed));
  }
  void gauge(const char* name, const char* help, std::uint64_t value) {
    family(name, "gauge", help);
    sample(name, value);
  }
  // The usual info-gauge idiom: constant 1, the facts are the labels.
  void build_info(std::string_view version, std::string_view commit) {
    family("build_info", "gauge", "The relay's version and the git commit it was built from.");
    out_ += "relay_build_info{version=\"";
    out_ += version;
    out_ += "\",commit=\"";
    out_ += commit;
    out_ += "\"} 1\n";
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

std::uint64_t get(const relay_stats::counter& c) { return c.load(std::memory_order_relaxed); }

}  // namespace

bool is_loopback_host(const std::string& host) {
  error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) return false;
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).is_loopback();
  return address.is_loopback();
}

std::string render_metrics(const relay_core& core) {
  const auto& s = *core.stats;
  metrics_writer w;
  w.build_info(relay::version(), relay::git_commit());
  w.family("connections", "gauge", "Open WebSocket connections by phase.");
  w.sample("connections", get(s.connections_pending_auth), "phase", "pending_auth");
  w.sample("connections", get(s.connections_authenticated), "phase", "authenticated");
  w.counter("connections_opened_total", "WebSocket connections upgraded.", s.connections_opened);
  w.counter("connections_closed_total", "WebSocket connections finished.", s.connections_closed);
  w.counter("auth_ok_total", "Successful authentications.", s.auth_ok);
  w.family("auth_failures_total", "counter", "Refused authentications by reason.");
  for (std::size_t i = 0; i < auth_refusal_count; ++i)
    w.sample("auth_failures_total", get(s.auth_refusals[i]), "reason", to_string(static_cast<auth_refusal>(i)));
  w.counter("messages_routed_total", "Send frames accepted for delivery.", s.messages_routed);
  w.counter("bytes_routed_total", "Payload bytes of Send frames accepted for delivery.", s.bytes_routed);
  w.counter("deliveries_total", "Frames handed to local recipient connections.", s.deliveries);
  w.family("dropped_total", "counter", "Send frames not delivered, by reason.");
  w.sample("dropped_total", get(s.dropped_no_route), "reason", "no_route");
  w.sample("dropped_total", get(s.cluster_dropped), "reason", "cluster_backlog");
  w.counter("frames_ignored_total",
            "Frames ignored after authentication (malformed, server-only, wrong frame kind for the dialect).",
            s.frames_ignored);
  w.counter("binary_connections_total", "Upgrades that chose the binary dialect (relay-binary-v1).",
            s.binary_connections);
  w.counter("frames_transcoded_total", "Frames re-encoded once for recipients of the other wire format.",
            s.frames_transcoded);
  w.counter("slow_consumer_closes_total", "Connections closed because their outbound queue was full.",
            s.slow_consumer_closes);
  w.counter("oversize_closes_total", "Connections closed for an inbound message over --max-message.",
            s.oversize_closes);
  w.counter("connections_rate_limited_total", "Connections refused (429): too many new connections from the IP.",
            s.connections_rate_limited);
  w.counter("connections_auth_blocked_total", "Connections refused (429): too many failed authentications from the IP.",
            s.connections_auth_blocked);
  w.counter("claims_rate_limited_total", "GetIdentity requests ignored: claim budget used up.", s.claims_rate_limited);
  w.counter("codes_rate_limited_total", "GetRendezvous requests ignored: code-issue budget used up.",
            s.codes_rate_limited);
  w.counter("claims_owner_absent_total", "Codes spent by a claim left unanswered: the owner was connected nowhere.",
            s.claims_owner_absent);
  w.counter("frames_throttled_total", "Frames whose read credit was held back (message or byte rate).",
            s.frames_throttled);
  w.gauge("outbound_queued_bytes", "Bytes queued for clients across all connections.", get(s.outbound_queued_bytes));
  w.counter("codes_issued_total", "Rendezvous codes issued.", s.codes_issued);
  w.counter("codes_claimed_total", "Rendezvous codes claimed.", s.codes_claimed);
  w.counter("codes_expired_total", "Rendezvous codes expired unclaimed.", s.codes_expired);
  w.counter("codes_refused_total", "GetRendezvous requests refused at the live-code cap.", s.codes_refused);
  w.gauge("codes_live", "Rendezvous codes alive on this node.", get(s.live_codes));
  w.gauge("cluster_peers", "Cluster peers currently joined.", get(s.cluster_peers));
  w.counter("cluster_forwarded_total", "Frames sent to other nodes (once per node).", s.cluster_forwarded);
  w.counter("cluster_received_total", "Frames received from other nodes.", s.cluster_received);
  w.family("cluster_refused_total", "counter", "Connections to the cluster port refused by the gate, by reason.");
  for (std::size_t i = 0; i < cluster_refusal_count; ++i)
    w.sample("cluster_refused_total", get(s.cluster_refusals[i]), "reason", to_string(static_cast<cluster_refusal>(i)));
  w.counter("cluster_links_accepted_total", "Inbound cluster connections authenticated by the gate.",
            s.cluster_links_accepted);
  w.counter("cluster_links_dialled_total", "Outbound cluster connections authenticated to a peer's gate.",
            s.cluster_links_dialled);
  w.counter("cluster_dials_failed_total", "Outbound cluster connections refused by, or failed at, a peer's gate.",
            s.cluster_dials_failed);
  w.gauge("cluster_gate_links", "Authenticated cluster links the gate is carrying now.", get(s.cluster_gate_links));
  if (core.observer) {
    w.gauge("observer_pending", "Observer events waiting in the observer's mailbox.", core.observer->pending());
    w.gauge("observer_dropped", "Observer events dropped because too many were pending.", core.observer->dropped());
  }
  // The allocator's view (glibc, all arenas): live heap bytes versus bytes
  // it holds free. RSS alone cannot tell retained objects from freed memory
  // the allocator has not returned to the system.
  const auto heap = ::mallinfo2();
  w.gauge("heap_in_use_bytes", "Bytes allocated and not yet freed (malloc, all arenas, incl. mmap).",
          static_cast<std::uint64_t>(heap.uordblks + heap.hblkhd));
  w.gauge("heap_free_bytes", "Bytes the allocator holds free without having returned them to the system.",
          static_cast<std::uint64_t>(heap.fordblks));
  return w.take();
}

namespace detail {

admin_reply answer_admin_request(std::string_view method, std::string_view target, const relay_core& core,
                                 bool ready) {
  admin_reply r;
  if (method != "GET" && method != "HEAD") {
    r.status = 405;
    r.body = "method not allowed\n";
    return r;
  }
  auto path = target.substr(0, target.find('?'));
  if (path == "/metrics") {
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = render_metrics(core);
  } else if (path == "/healthz") {
    r.body = "ok\n";
  } else if (path == "/readyz") {
    r.status = ready ? 200 : 503;
    r.body = ready ? "ready\n" : "not ready\n";
  } else {
    r.status = 404;
    r.body = "not found\n";
  }
  return r;
}

}  // namespace detail

namespace {

class admin_connection : public std::enable_shared_from_this<admin_connection> {
 public:
  admin_connection(tcp::socket&& socket, const relay_core& core, std::function<bool()> ready,
                   std::shared_ptr<std::atomic<int>> live)
      : stream_(std::move(socket)), buffer_(max_header_bytes), core_(core), ready_(std::move(ready)),
        live_(std::move(live)) {}
  ~admin_connection() { live_->fetch_sub(1); }

  void start() {
    parser_.header_limit(max_header_bytes);
    parser_.body_limit(0);
    stream_.expires_after(request_deadline);
    http::async_read(stream_, buffer_, parser_,
                     [self = shared_from_this()](error_code ec, std::size_t) { self->on_read(ec); });
  }

 private:
  void on_read(error_code ec) {
    if (ec) return close();  // malformed, too large, timed out or gone: no answer
    const auto& req = parser_.get();
    auto reply = detail::answer_admin_request(std::string_view(req.method_string().data(), req.method_string().size()),
                                              std::string_view(req.target().data(), req.target().size()), core_,
                                              ready_());
    res_.version(req.version());
    res_.result(static_cast<http::status>(reply.status));
    res_.set(http::field::server, "relay-admin");
    res_.set(http::field::content_type, reply.content_type);
    res_.set(http::field::cache_control, "no-store");
    res_.keep_alive(false);
    res_.body() = std::move(reply.body);
    res_.prepare_payload();
    if (req.method() == http::verb::head) res_.body().clear();
    http::async_write(stream_, res_, [self = shared_from_this()](error_code, std::size_t) { self->close(); });
  }

  void close() {
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request_parser<http::empty_body> parser_;
  http::response<http::string_body> res_;
  const relay_core& core_;
  std::function<bool()> ready_;
  std::shared_ptr<std::atomic<int>> live_;
};

}  // namespace

struct admin_server::impl : std::enable_shared_from_this<admin_server::impl> {
  impl(relay_core c, admin_options o, std::function<bool()> a)
      : core(std::move(c)), opts(std::move(o)), accepting(std::move(a)), acceptor(ioc) {}

  relay_core core;
  admin_options opts;
  std::function<bool()> accepting;
  asio::io_context ioc{1};
  tcp::acceptor acceptor;
  std::thread thread;
  std::uint16_t bound_port = 0;
  std::shared_ptr<std::atomic<int>> live = std::make_shared<std::atomic<int>>(0);

  bool ready() const {
    if (!accepting || !accepting()) return false;
    if (core.cluster && opts.expect_peers) return core.stats->cluster_peers.load(std::memory_order_relaxed) > 0;
    return true;
  }

  void accept_next() {
    acceptor.async_accept([self = shared_from_this()](error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !self->acceptor.is_open()) return;
      if (!ec) {
        if (self->live->fetch_add(1) >= max_admin_connections) {
          self->live->fetch_sub(1);
          error_code ignored;
          socket.close(ignored);
        } else {
          std::make_shared<admin_connection>(std::move(socket), self->core, [self] { return self->ready(); },
                                             self->live)
            ->start();
        }
      } else {
        RELAY_LOG(warn, "admin accept failed: " << ec.message());
      }
      self->accept_next();
    });
  }
};

admin_server::admin_server(relay_core core, admin_options opts, std::function<bool()> accepting)
    : impl_(std::make_shared<impl>(std::move(core), std::move(opts), std::move(accepting))) {}

admin_server::~admin_server() { stop(); }

void admin_server::start() {
  auto& d = *impl_;
  error_code ec;
  auto address = asio::ip::make_address(d.opts.host, ec);
  if (ec) throw std::system_error(ec, "invalid admin address '" + d.opts.host + "'");
  tcp::endpoint endpoint{address, d.opts.port};
  d.acceptor.open(endpoint.protocol(), ec);
  if (!ec) d.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) d.acceptor.bind(endpoint, ec);
  if (!ec) d.acceptor.listen(64, ec);
  if (ec) throw std::system_error(ec, "cannot listen on admin address " + d.opts.host + ":" + std::to_string(d.opts.port));
  d.bound_port = d.acceptor.local_endpoint().port();
  d.accept_next();
  d.thread = std::thread([self = impl_] { self->ioc.run(); });
}

std::uint16_t admin_server::port() const { return impl_->bound_port; }

std::string admin_server::url() const {
  const auto& host = impl_->opts.host;
  bool v6 = host.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port());
}

bool admin_server::ready() const { return impl_->ready(); }

void admin_server::stop() {
  auto& d = *impl_;
  if (!d.thread.joinable()) return;
  asio::post(d.ioc, [self = impl_] {
    error_code ignored;
    self->acceptor.close(ignored);
  });
  d.ioc.stop();
  d.thread.join();
  // Run the aborted accept handler so it releases its reference to impl.
  error_code ignored;
  d.acceptor.close(ignored);
  d.ioc.restart();
  d.ioc.poll();
}

}  // namespace relay::net
