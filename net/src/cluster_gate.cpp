#include "relay/net/cluster_gate.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include <boost/asio/read_until.hpp>

#include "asio.hpp"
#include "byte_splice.hpp"
#include "cluster_handshake.hpp"
#include "relay/actors/rate_limits.hpp"
#include "relay/log.hpp"

namespace relay::net {

namespace hs = cluster_handshake;
using asio::use_awaitable;

namespace {

/// Thrown inside a handshake to refuse the connection: what is counted and
/// logged, and the `refused` line the other side gets (if any).
struct refusal {
  cluster_refusal reason;
  std::string detail;
  std::string answer;  ///< words after "refused"; "" sends nothing
};

/// Refusal lines are rate-limited: an intruder cannot flood the log. Lines
/// held back are counted and reported with the next one written.
class refusal_log {
 public:
  void write(log::level lvl, const std::string& line) {
    if (!lines_.try_take(1)) {
      ++suppressed_;
      return;
    }
    std::string tail;
    if (suppressed_ > 0) tail = " (" + std::to_string(suppressed_) + " earlier refusal(s) not logged)";
    suppressed_ = 0;
    log::write(lvl, line + tail);
  }

 private:
  token_bucket lines_{5, 20};
  std::uint64_t suppressed_ = 0;
};

std::string endpoint_text(const tcp::endpoint& e) {
  auto a = e.address();
  return (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" + std::to_string(e.port());
}

bool is_nonce(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

bool is_proof(const std::string& s, bool with_secret) {
  return with_secret ? is_nonce(s) : s == "-";
}

template <class Stream>
asio::awaitable<std::string> read_line(Stream& s, std::string& buffer) {
  std::size_t n = 0;
  try {
    n = co_await asio::async_read_until(s, asio::dynamic_buffer(buffer, hs::max_handshake_line + 1), '\n',
                                        use_awaitable);
  } catch (const boost::system::system_error& e) {
    if (e.code() == asio::error::not_found) throw refusal{cluster_refusal::handshake, "handshake line too long", "line too long"};
    throw;
  }
  std::string text = buffer.substr(0, n - 1);
  buffer.erase(0, n);
  co_return text;
}

template <class Stream>
asio::awaitable<void> write_text(Stream& s, const std::string& text) {
  co_await asio::async_write(s, asio::buffer(text), use_awaitable);
}

bool contains(const std::vector<std::string>& names, const std::string& name) {
  for (const auto& n : names)
    if (n == name) return true;
  return false;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ",") + n;
  return out.empty() ? "(none)" : out;
}

/// Closes a socket when the handshake takes too long (a half handshake).
class handshake_deadline {
 public:
  template <class Socket>
  handshake_deadline(asio::io_context& ioc, std::chrono::milliseconds after, std::shared_ptr<Socket> socket)
      : timer_(std::make_shared<asio::steady_timer>(ioc)), expired_(std::make_shared<bool>(false)) {
    timer_->expires_after(after);
    timer_->async_wait([socket, expired = expired_](const error_code& ec) {
      if (ec) return;
      *expired = true;
      error_code ignored;
      socket->lowest_layer().close(ignored);
    });
  }
  ~handshake_deadline() { timer_->cancel(); }
  bool expired() const { return *expired_; }

 private:
  std::shared_ptr<asio::steady_timer> timer_;
  std::shared_ptr<bool> expired_;
};

using tls_socket = ssl::stream<tcp::socket>;

}  // namespace

std::vector<std::string> cluster_certificate_names(const std::string& pem_file) {
  return hs::certificate_file_names(pem_file);
}

struct cluster_gate::impl : std::enable_shared_from_this<impl> {
  // Immutable after start().
  cluster_gate_options opts;
  std::shared_ptr<relay_stats> stats;
  std::string name;
  std::uint16_t middleman_port = 0;
  std::shared_ptr<ssl::context> server_tls, client_tls;

  // The io_context goes last (stop() destroys it explicitly, with the
  // coroutine frames it still holds); I/O objects go before it.
  std::optional<asio::io_context> ioc_store{std::in_place, 1};
  asio::io_context& ioc = *ioc_store;
  std::unique_ptr<tcp::acceptor> acceptor = std::make_unique<tcp::acceptor>(ioc);
  std::thread thread;

  // Gate thread only.
  struct address_state {
    token_bucket attempts;
    std::size_t pending = 0;
  };
  static constexpr std::size_t max_tracked_addresses = 65536;
  std::unordered_map<std::string, address_state> addresses;
  token_bucket::clock::time_point last_sweep{};
  std::size_t pending_total = 0;
  refusal_log refusals;

  // Shared with the cluster actor's thread.
  struct forwarder {
    std::string host;
    std::uint16_t port = 0;
    tcp::acceptor acceptor;
    std::string last_failure;  // gate thread only: log changes, not every retry
    explicit forwarder(asio::io_context& ioc) : acceptor(ioc) {}
  };
  mutable std::mutex mutex;
  std::map<std::uint16_t, std::string> names_by_port;                // guarded by mutex
  std::map<std::string, std::shared_ptr<forwarder>> forwarders;      // guarded by mutex
  bool stopped = false;                                              // guarded by mutex

  bool tls() const { return static_cast<bool>(server_tls); }
  bool with_secret() const { return !opts.secret.empty(); }

  void remember(std::uint16_t port, const std::string& peer) {
    std::lock_guard<std::mutex> lock(mutex);
    names_by_port[port] = peer;
  }
  void forget(std::uint16_t port, const std::string& peer) {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = names_by_port.find(port);
    if (it != names_by_port.end() && it->second == peer) names_by_port.erase(it);
  }

  // --- inbound -----------------------------------------------------------

  void accept_next() {
    acceptor->async_accept([self = shared_from_this()](const error_code& ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !self->acceptor->is_open()) return;
      if (!ec) {
        self->admit(std::move(socket));
        self->accept_next();
        return;
      }
      // Out of descriptors, say: pause instead of spinning on the error
      // (the links share this thread).
      auto pause = std::make_shared<asio::steady_timer>(self->ioc, std::chrono::milliseconds(100));
      pause->async_wait([self, pause](const error_code& waited) {
        if (!waited) self->accept_next();
      });
    });
  }

  void refuse_early(cluster_refusal reason, const std::string& who, const char* why) {
    stats->cluster_refusals[static_cast<std::size_t>(reason)].fetch_add(1, std::memory_order_relaxed);
    refusals.write(log::level::info, "cluster: refused " + who + " (" + to_string(reason) + "): " + why);
  }

  void admit(tcp::socket socket) {
    error_code ec;
    auto remote = socket.remote_endpoint(ec);
    if (ec) return;
    auto ip = remote.address().to_string();
    auto now = token_bucket::clock::now();
    if (addresses.size() >= max_tracked_addresses && addresses.find(ip) == addresses.end()) {
      // Forget idle addresses (at most once a second: the sweep is linear);
      // while the table stays full, new addresses wait.
      if (now - last_sweep > std::chrono::seconds(1)) {
        last_sweep = now;
        for (auto it = addresses.begin(); it != addresses.end();)
          it = it->second.pending == 0 && it->second.attempts.full(now) ? addresses.erase(it) : std::next(it);
      }
      if (addresses.size() >= max_tracked_addresses)
        return refuse_early(cluster_refusal::pending, endpoint_text(remote), "too many addresses connecting at once");
    }
    auto [it, fresh] = addresses.try_emplace(ip);
    if (fresh) it->second.attempts = token_bucket(opts.attempts_per_ip, opts.attempts_per_ip * 2, now);
    auto& st = it->second;
    if (!st.attempts.try_take(1, now)) return refuse_early(cluster_refusal::rate_limited, endpoint_text(remote), "too many connections per second from the address");
    if (st.pending >= opts.pending_per_ip || pending_total >= opts.pending_total)
      return refuse_early(cluster_refusal::pending, endpoint_text(remote), "too many unauthenticated connections");
    ++st.pending;
    ++pending_total;
    socket.set_option(tcp::no_delay(true), ec);
    asio::co_spawn(ioc, inbound(shared_from_this(), std::move(socket), ip, endpoint_text(remote)), asio::detached);
  }

  /// Gives back the pending slot of `ip` when the handshake ends either way.
  struct pending_slot {
    std::shared_ptr<impl> gate;
    std::string ip;
    bool held = true;
    void release() {
      if (!held) return;
      held = false;
      --gate->pending_total;
      auto it = gate->addresses.find(ip);
      if (it != gate->addresses.end() && it->second.pending > 0) --it->second.pending;
    }
    ~pending_slot() { release(); }
  };

  static asio::awaitable<void> inbound(std::shared_ptr<impl> self, tcp::socket socket, std::string ip,
                                       std::string who) {
    pending_slot slot{self, ip};
    if (self->tls()) {
      auto stream = std::make_shared<tls_socket>(std::move(socket), *self->server_tls);
      co_await self->authenticate_inbound(stream, who, slot);
    } else {
      auto stream = std::make_shared<tcp::socket>(std::move(socket));
      co_await self->authenticate_inbound(stream, who, slot);
    }
  }

  template <class Stream>
  asio::awaitable<void> authenticate_inbound(std::shared_ptr<Stream> stream, std::string who, pending_slot& slot) {
    handshake_deadline deadline(ioc, opts.handshake_timeout, stream);
    std::string buffer;
    std::string answer;
    try {
      std::vector<std::string> cert_names;
      if constexpr (std::is_same_v<Stream, tls_socket>) {
        ERR_clear_error();
        try {
          co_await stream->async_handshake(ssl::stream_base::server, use_awaitable);
        } catch (const boost::system::system_error& e) {
          throw refusal{cluster_refusal::tls, "TLS handshake failed: " + e.code().message(), ""};
        }
        cert_names = hs::certificate_names(stream->native_handle());
      }
      auto hello = hs::parse(co_await read_line(*stream, buffer));
      if (!hello) throw refusal{cluster_refusal::handshake, "not a cluster hello", "not a cluster hello"};
      if (hello->version != hs::cluster_protocol_version)
        throw refusal{cluster_refusal::version,
                      "speaks cluster protocol version " + std::to_string(hello->version) + ", this node speaks " +
                        std::to_string(hs::cluster_protocol_version),
                      "version " + std::to_string(hello->version) + " not supported, this node speaks " +
                        std::to_string(hs::cluster_protocol_version)};
      if (hello->verb != "hello" || hello->words.size() != 2 || !hs::valid_name(hello->words[0]) ||
          !is_nonce(hello->words[1]))
        throw refusal{cluster_refusal::handshake, "malformed hello", "malformed hello"};
      const auto& peer = hello->words[0];
      const auto& dialer_nonce = hello->words[1];
      if (peer == name)
        throw refusal{cluster_refusal::name, "claims this node's name '" + peer + "'", "name " + peer + " is taken"};
      if (tls() && !contains(cert_names, peer))
        throw refusal{cluster_refusal::name,
                      "claims name '" + peer + "' but its certificate is for " + joined(cert_names),
                      "name " + peer + " is not in your certificate"};
      auto nonce = hs::make_nonce();
      co_await write_text(*stream, hs::welcome(name, nonce));
      auto proof = hs::parse(co_await read_line(*stream, buffer));
      if (!proof || proof->version != hs::cluster_protocol_version || proof->verb != "proof" ||
          proof->words.size() != 1 || !is_proof(proof->words[0], with_secret()))
        throw refusal{cluster_refusal::secret, "no valid proof of the cluster secret", "no valid proof"};
      if (!hs::proofs_equal(proof->words[0], hs::make_proof(opts.secret, "dialer", dialer_nonce, nonce, peer, name)))
        throw refusal{cluster_refusal::secret, "wrong cluster secret", "wrong cluster secret"};
      // Authenticated: only now does anything reach the middleman.
      auto middleman = std::make_shared<tcp::socket>(ioc);
      co_await middleman->async_connect({asio::ip::address_v4::loopback(), middleman_port}, use_awaitable);
      middleman->set_option(tcp::no_delay(true));
      auto port = middleman->local_endpoint().port();
      remember(port, peer);
      co_await write_text(*stream, hs::ok(hs::make_proof(opts.secret, "acceptor", dialer_nonce, nonce, peer, name)));
      if (deadline.expired()) throw refusal{cluster_refusal::timeout, "handshake timed out", ""};
      slot.release();
      stats->cluster_links_accepted.fetch_add(1, std::memory_order_relaxed);
      stats->cluster_gate_links.fetch_add(1, std::memory_order_relaxed);
      RELAY_LOG(info, "cluster: accepted node " << peer << " from " << who
                                                << (tls() ? " (certificate verified)" : with_secret() ? " (secret verified)" : ""));
      splice(ioc.get_executor(), stream, middleman, std::move(buffer),
             [self = shared_from_this(), port, peer, who] {
               self->forget(port, peer);
               self->stats->cluster_gate_links.fetch_sub(1, std::memory_order_relaxed);
               RELAY_LOG(info, "cluster: link from node " << peer << " at " << who << " closed");
             });
      co_return;
    } catch (refusal& r) {
      if (deadline.expired()) r = refusal{cluster_refusal::timeout, "no complete handshake in time", ""};
      stats->cluster_refusals[static_cast<std::size_t>(r.reason)].fetch_add(1, std::memory_order_relaxed);
      auto lvl = r.reason == cluster_refusal::version || r.reason == cluster_refusal::name ||
                     r.reason == cluster_refusal::secret
                   ? log::level::warn
                   : log::level::info;
      refusals.write(lvl, "cluster: refused " + who + " (" + to_string(r.reason) + "): " + r.detail);
      answer = r.answer;
    } catch (const std::exception& e) {
      auto reason = deadline.expired() ? cluster_refusal::timeout : tls() && buffer.empty() ? cluster_refusal::tls
                                                                                           : cluster_refusal::handshake;
      stats->cluster_refusals[static_cast<std::size_t>(reason)].fetch_add(1, std::memory_order_relaxed);
      refusals.write(log::level::info, "cluster: refused " + who + " (" + to_string(reason) + "): " +
                                         (deadline.expired() ? "no complete handshake in time" : "connection ended during the handshake"));
    }
    if (!answer.empty()) {
      try {
        co_await write_text(*stream, hs::refused(answer));
      } catch (const std::exception&) {
      }
    }
    error_code ignored;
    stream->lowest_layer().close(ignored);
  }

  // --- outbound ----------------------------------------------------------

  void forward_next(std::shared_ptr<forwarder> f) {
    f->acceptor.async_accept([self = shared_from_this(), f](const error_code& ec, tcp::socket local) {
      if (ec == asio::error::operation_aborted || !f->acceptor.is_open()) return;
      if (ec) {
        auto pause = std::make_shared<asio::steady_timer>(self->ioc, std::chrono::milliseconds(100));
        pause->async_wait([self, f, pause](const error_code& waited) {
          if (!waited) self->forward_next(f);
        });
        return;
      }
      error_code ignored;
      local.set_option(tcp::no_delay(true), ignored);
      asio::co_spawn(self->ioc, self->outbound(f, std::make_shared<tcp::socket>(std::move(local))), asio::detached);
      self->forward_next(f);
    });
  }

  void dial_failed(forwarder& f, const std::string& why) {
    stats->cluster_dials_failed.fetch_add(1, std::memory_order_relaxed);
    if (f.last_failure == why) return;
    f.last_failure = why;
    RELAY_LOG(warn, "cluster: cannot join " << f.host << ":" << f.port << ": " << why << " (retrying)");
  }

  asio::awaitable<void> outbound(std::shared_ptr<forwarder> f, std::shared_ptr<tcp::socket> local) {
    try {
      tcp::resolver resolver(ioc);
      auto found = co_await resolver.async_resolve(f->host, std::to_string(f->port), use_awaitable);
      auto remote = std::make_shared<tcp::socket>(ioc);
      {
        handshake_deadline deadline(ioc, opts.handshake_timeout, remote);
        try {
          co_await asio::async_connect(*remote, found, use_awaitable);
        } catch (const std::exception& e) {
          throw refusal{cluster_refusal::handshake, deadline.expired() ? std::string("connect timed out") : e.what(), ""};
        }
      }
      remote->set_option(tcp::no_delay(true));
      if (tls()) {
        auto stream = std::make_shared<tls_socket>(std::move(*remote), *client_tls);
        co_await authenticate_outbound(f, stream, local);
      } else {
        co_await authenticate_outbound(f, remote, local);
      }
    } catch (const refusal& r) {
      dial_failed(*f, r.detail);
      error_code ignored;
      local->close(ignored);
    } catch (const std::exception& e) {
      dial_failed(*f, e.what());
      error_code ignored;
      local->close(ignored);
    }
  }

  template <class Stream>
  asio::awaitable<void> authenticate_outbound(std::shared_ptr<forwarder> f, std::shared_ptr<Stream> stream,
                                              std::shared_ptr<tcp::socket> local) {
    handshake_deadline deadline(ioc, opts.handshake_timeout, stream);
    std::string buffer;
    try {
      std::vector<std::string> cert_names;
      if constexpr (std::is_same_v<Stream, tls_socket>) {
        ERR_clear_error();
        try {
          co_await stream->async_handshake(ssl::stream_base::client, use_awaitable);
        } catch (const boost::system::system_error& e) {
          throw refusal{cluster_refusal::tls, "TLS handshake failed: " + e.code().message() +
                                                " (is it a cluster port, with a certificate of our CA?)", ""};
        }
        cert_names = hs::certificate_names(stream->native_handle());
      }
      auto nonce = hs::make_nonce();
      co_await write_text(*stream, hs::hello(name, nonce));
      auto welcome = hs::parse(co_await read_line(*stream, buffer));
      if (!welcome) throw refusal{cluster_refusal::handshake, "not a relay cluster port (no cluster greeting)", ""};
      if (welcome->version != hs::cluster_protocol_version)
        throw refusal{cluster_refusal::version, "the node speaks cluster protocol version " +
                                                  std::to_string(welcome->version) + ", this node speaks " +
                                                  std::to_string(hs::cluster_protocol_version), ""};
      if (welcome->verb == "refused") {
        std::string why;
        for (const auto& w : welcome->words) why += (why.empty() ? "" : " ") + w;
        throw refusal{cluster_refusal::handshake, "refused by the node: " + why, ""};
      }
      if (welcome->verb != "welcome" || welcome->words.size() != 2 || !hs::valid_name(welcome->words[0]) ||
          !is_nonce(welcome->words[1]))
        throw refusal{cluster_refusal::handshake, "malformed cluster welcome", ""};
      const auto& peer = welcome->words[0];
      const auto& their_nonce = welcome->words[1];
      if (tls() && !contains(cert_names, peer))
        throw refusal{cluster_refusal::name,
                      "the node claims name '" + peer + "' but its certificate is for " + joined(cert_names), ""};
      if (peer == name) throw refusal{cluster_refusal::name, "the node claims this node's own name '" + peer + "'", ""};
      co_await write_text(*stream, hs::proof(hs::make_proof(opts.secret, "dialer", nonce, their_nonce, name, peer)));
      auto ok = hs::parse(co_await read_line(*stream, buffer));
      if (!ok || ok->version != hs::cluster_protocol_version || ok->verb != "ok") {
        std::string why = "no cluster confirmation";
        if (ok && ok->verb == "refused") {
          why = "refused by the node:";
          for (const auto& w : ok->words) why += " " + w;
        }
        throw refusal{cluster_refusal::secret, why, ""};
      }
      if (ok->words.size() != 1 || !is_proof(ok->words[0], with_secret()) ||
          !hs::proofs_equal(ok->words[0], hs::make_proof(opts.secret, "acceptor", nonce, their_nonce, name, peer)))
        throw refusal{cluster_refusal::secret, "the node does not prove the cluster secret", ""};
      if (deadline.expired()) throw refusal{cluster_refusal::timeout, "handshake timed out", ""};
      auto port = f->acceptor.local_endpoint().port();
      remember(port, peer);
      f->last_failure.clear();
      stats->cluster_links_dialled.fetch_add(1, std::memory_order_relaxed);
      stats->cluster_gate_links.fetch_add(1, std::memory_order_relaxed);
      RELAY_LOG(info, "cluster: dialled node " << peer << " at " << f->host << ":" << f->port);
      // Bytes after "ok" belong to the middleman stream (the remote side's
      // middleman writes first).
      splice(ioc.get_executor(), stream, local, std::move(buffer), [self = shared_from_this(), peer, f] {
        self->stats->cluster_gate_links.fetch_sub(1, std::memory_order_relaxed);
        RELAY_LOG(info, "cluster: link to node " << peer << " at " << f->host << ":" << f->port << " closed");
      });
      co_return;
    } catch (const refusal&) {
      error_code ignored;
      stream->lowest_layer().close(ignored);
      throw;
    } catch (const std::exception& e) {
      error_code ignored;
      stream->lowest_layer().close(ignored);
      throw refusal{deadline.expired() ? cluster_refusal::timeout : cluster_refusal::handshake,
                    deadline.expired() ? std::string("the node did not complete the handshake in time")
                                       : std::string("connection ended during the handshake: ") + e.what(),
                    ""};
    }
  }
};

cluster_gate::cluster_gate(cluster_gate_options opts, std::shared_ptr<relay_stats> stats)
    : impl_(std::make_shared<impl>()) {
  impl_->opts = std::move(opts);
  impl_->stats = std::move(stats);
  auto& o = impl_->opts;
  if (!o.cert.empty()) {
    auto load = [&](ssl::context& ctx) {
      ERR_clear_error();
      ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                      ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
      SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
      error_code ec;
      ctx.use_certificate_chain_file(o.cert, ec);
      if (ec) throw std::runtime_error("invalid --cluster-cert '" + o.cert + "': " + ec.message());
      ctx.use_private_key_file(o.key, ssl::context::pem, ec);
      if (ec) throw std::runtime_error("invalid --cluster-key '" + o.key + "': " + ec.message());
      if (SSL_CTX_check_private_key(ctx.native_handle()) != 1)
        throw std::runtime_error("--cluster-key '" + o.key + "' does not match --cluster-cert '" + o.cert + "'");
      ctx.load_verify_file(o.ca, ec);
      if (ec) throw std::runtime_error("invalid --cluster-ca '" + o.ca + "': " + ec.message());
      // Both sides must present a certificate of the cluster CA.
      ctx.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
      ERR_clear_error();
    };
    impl_->server_tls = std::make_shared<ssl::context>(ssl::context::tls_server);
    impl_->client_tls = std::make_shared<ssl::context>(ssl::context::tls_client);
    load(*impl_->server_tls);
    load(*impl_->client_tls);
  }
}

cluster_gate::~cluster_gate() { stop(); }

std::uint16_t cluster_gate::bind() {
  auto& i = *impl_;
  tcp::endpoint where(asio::ip::make_address(i.opts.host), i.opts.port);
  i.acceptor->open(where.protocol());
  i.acceptor->set_option(tcp::acceptor::reuse_address(true));
  i.acceptor->bind(where);
  i.acceptor->listen(asio::socket_base::max_listen_connections);
  return i.acceptor->local_endpoint().port();
}

void cluster_gate::start(const std::string& node_name, std::uint16_t middleman_port) {
  impl_->name = node_name;
  impl_->middleman_port = middleman_port;
  if (impl_->acceptor->is_open()) asio::post(impl_->ioc, [i = impl_] { i->accept_next(); });
  impl_->thread = std::thread([i = impl_] {
    auto work = asio::make_work_guard(i->ioc);
    i->ioc.run();
  });
}

void cluster_gate::stop() {
  auto& i = *impl_;
  if (!i.thread.joinable()) return;
  i.ioc.stop();
  i.thread.join();
  // Coroutine frames hold the impl and I/O objects: destroying the
  // io_context destroys them (and breaks that cycle). I/O objects not owned
  // by a frame go first.
  {
    std::lock_guard<std::mutex> lock(i.mutex);
    i.stopped = true;
    i.forwarders.clear();
  }
  i.acceptor.reset();
  i.ioc_store.reset();
}

std::optional<std::uint16_t> cluster_gate::forwarder_for(const std::string& host, std::uint16_t port) {
  auto& i = *impl_;
  auto key = host + "|" + std::to_string(port);
  std::lock_guard<std::mutex> lock(i.mutex);
  if (i.stopped) return std::nullopt;
  auto it = i.forwarders.find(key);
  if (it != i.forwarders.end()) return it->second->acceptor.local_endpoint().port();
  auto f = std::make_shared<impl::forwarder>(i.ioc);
  f->host = host;
  f->port = port;
  error_code ec;
  tcp::endpoint where(asio::ip::address_v4::loopback(), 0);
  f->acceptor.open(where.protocol(), ec);
  if (!ec) f->acceptor.bind(where, ec);
  if (!ec) f->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    RELAY_LOG(warn, "cluster: cannot open a local forwarder for " << host << ":" << port << ": " << ec.message());
    return std::nullopt;
  }
  auto local = f->acceptor.local_endpoint().port();
  i.forwarders.emplace(key, f);
  asio::post(i.ioc, [self = impl_, f] { self->forward_next(f); });
  return local;
}

std::optional<std::string> cluster_gate::peer_name_at(std::uint16_t loopback_port) const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  auto it = impl_->names_by_port.find(loopback_port);
  if (it == impl_->names_by_port.end()) return std::nullopt;
  return it->second;
}

}  // namespace relay::net
