// Non-members knocking on a cluster port, for the gate's end-to-end tests
// and bench (test_cluster_gate.cpp): each attempt is a real connection over
// loopback, with blocking sockets bounded by timeouts. Also a throwaway PKI
// (openssl CLI), a steady measured stream between two clients, and a raw
// /metrics scrape.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "cluster_helpers.hpp"
#include "helpers.hpp"

namespace relay::test {

// A throwaway CA with node certificates (CN = the node's name), a second CA
// and a node certificate of it, made with the openssl CLI.
struct cluster_pki {
  std::string dir;
  cluster_pki() {
    char tmpl[] = "/tmp/relay-gate-pki-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    auto script =
      "set -e; cd " + dir + "\n"
      "mk_ca() { openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout $1.key "
      "-out $1.pem -days 1 -subj /CN=$1 2>/dev/null; }\n"
      "mk_node() { openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout $1.key "
      "-out $1.csr -subj /CN=$1 2>/dev/null; openssl x509 -req -in $1.csr -CA $2.pem -CAkey $2.key "
      "-CAcreateserial -out $1.pem -days 1 2>/dev/null; }\n"
      "mk_ca ca; mk_ca rogue-ca; mk_node a ca; mk_node b ca; mk_node c ca; mk_node rogue rogue-ca\n";
    auto r = run_program({"/bin/bash", "-c", script}, 30s);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
  }
  ~cluster_pki() { run_program({"/bin/rm", "-rf", dir}, 10s); }
  std::string file(const std::string& name) const { return dir + "/" + name; }
  std::vector<std::string> flags(const std::string& node, const std::string& ca = "ca") const {
    return {"--cluster-cert", file(node + ".pem"), "--cluster-key", file(node + ".key"), "--cluster-ca", file(ca + ".pem")};
  }
};

inline std::uint16_t port_of(const std::string& address) {
  return static_cast<std::uint16_t>(std::stoi(address.substr(address.rfind(':') + 1)));
}

// A blocking loopback TCP connection with send/receive timeouts; -1 on failure.
inline int dial_loopback(std::uint16_t port, std::chrono::milliseconds timeout = 2000ms) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

inline void send_all(int fd, const std::string& bytes) {
  std::size_t at = 0;
  while (at < bytes.size()) {
    auto n = ::send(fd, bytes.data() + at, bytes.size() - at, MSG_NOSIGNAL);
    if (n <= 0) return;
    at += static_cast<std::size_t>(n);
  }
}

// Reads until the peer closes, `limit` bytes, or the socket's timeout.
inline std::string read_some_text(int fd, std::size_t limit = 4096) {
  std::string out;
  char buf[1024];
  while (out.size() < limit) {
    auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.find('\n') != std::string::npos) break;
  }
  return out;
}

// A TLS client over a blocking socket; cert/key empty: none presented.
class tls_client {
 public:
  tls_client(const std::string& cert, const std::string& key, const std::string& ca) {
    ::signal(SIGPIPE, SIG_IGN);  // OpenSSL writes with write(2): a refused peer may have closed
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (!cert.empty()) {
      SSL_CTX_use_certificate_chain_file(ctx_, cert.c_str());
      SSL_CTX_use_PrivateKey_file(ctx_, key.c_str(), SSL_FILETYPE_PEM);
    }
    if (!ca.empty()) SSL_CTX_load_verify_locations(ctx_, ca.c_str(), nullptr);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
  }
  ~tls_client() { SSL_CTX_free(ctx_); }
  tls_client(const tls_client&) = delete;
  tls_client& operator=(const tls_client&) = delete;

  // Handshakes on `fd`; the session (or null when the handshake failed).
  SSL* handshake(int fd) {
    ERR_clear_error();
    SSL* ssl = SSL_new(ctx_);
    SSL_set_fd(ssl, fd);
    if (SSL_connect(ssl) != 1) {
      SSL_free(ssl);
      ERR_clear_error();
      return nullptr;
    }
    return ssl;
  }
  // The first bytes of a ClientHello (what a half handshake sends).
  std::string client_hello_start() {
    SSL* ssl = SSL_new(ctx_);
    BIO* in = BIO_new(BIO_s_mem());
    BIO* out = BIO_new(BIO_s_mem());
    SSL_set_bio(ssl, in, out);
    SSL_connect(ssl);  // wants to read: the ClientHello is in `out`
    char* data = nullptr;
    auto size = BIO_get_mem_data(out, &data);
    std::string hello(data, static_cast<std::size_t>(std::max<long>(size, 0)));
    SSL_free(ssl);
    ERR_clear_error();
    return hello.substr(0, hello.size() / 2);
  }

 private:
  SSL_CTX* ctx_ = nullptr;
};

// Sends `line` inside TLS and returns the first line of the answer.
inline std::string tls_exchange(SSL* ssl, const std::string& line) {
  SSL_write(ssl, line.data(), static_cast<int>(line.size()));
  std::string out;
  char buf[512];
  while (out.find('\n') == std::string::npos && out.size() < 4096) {
    int n = SSL_read(ssl, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ERR_clear_error();
  return out;
}

enum class intruder_kind { foreign_ca, no_cert, plain_tcp, garbage, half_handshake };

inline const char* to_string(intruder_kind k) {
  switch (k) {
    case intruder_kind::foreign_ca: return "foreign-CA certificate";
    case intruder_kind::no_cert: return "no certificate";
    case intruder_kind::plain_tcp: return "plain TCP";
    case intruder_kind::garbage: return "garbage bytes";
    case intruder_kind::half_handshake: return "half handshake";
  }
  return "?";
}

// Knocks on a cluster port at up to `per_second` attempts per second until
// stopped. With `pki`, TLS kinds use its certificates; without, the port is
// plain and "half handshake" sends half a cluster hello.
class intruder {
 public:
  intruder(intruder_kind kind, std::uint16_t port, const cluster_pki* pki, double per_second, unsigned threads = 1)
      : kind_(kind), port_(port), pki_(pki), per_second_(per_second) {
    for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this, i, threads] { run(i, threads); });
  }
  ~intruder() { stop(); }
  void stop() {
    stop_ = true;
    for (auto& t : threads_)
      if (t.joinable()) t.join();
  }
  std::uint64_t attempts() const { return attempts_; }

 private:
  void run(unsigned index, unsigned threads) {
    std::unique_ptr<tls_client> tls;
    if (pki_) {
      if (kind_ == intruder_kind::foreign_ca)
        tls = std::make_unique<tls_client>(pki_->file("rogue.pem"), pki_->file("rogue.key"), pki_->file("ca.pem"));
      else
        tls = std::make_unique<tls_client>("", "", pki_->file("ca.pem"));
    }
    std::string half = tls ? tls->client_hello_start() : std::string("relay-cluster 2 hello intruder ");
    std::mt19937_64 rng(index * 7919 + 1);
    std::deque<int> held;  // half handshakes kept open (bounded)
    auto interval = std::chrono::duration<double>(threads / per_second_);
    auto next = std::chrono::steady_clock::now();
    while (!stop_) {
      next += std::chrono::duration_cast<std::chrono::steady_clock::duration>(interval);
      int fd = dial_loopback(port_, 1000ms);
      if (fd >= 0) {
        ++attempts_;
        switch (kind_) {
          case intruder_kind::foreign_ca:
          case intruder_kind::no_cert:
            if (tls) {
              if (SSL* ssl = tls->handshake(fd)) {
                // TLS 1.3: the server's verdict on our certificate comes
                // after the client's handshake finishes.
                char b;
                SSL_read(ssl, &b, 1);
                SSL_free(ssl);
              }
              ERR_clear_error();
            }
            ::close(fd);
            break;
          case intruder_kind::plain_tcp:
            send_all(fd, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            read_some_text(fd);
            ::close(fd);
            break;
          case intruder_kind::garbage: {
            std::string bytes(64 + rng() % 192, '\0');
            for (auto& c : bytes) c = static_cast<char>(rng());
            bytes[0] = static_cast<char>(rng() % 7);  // a BASP message type, as CAF would read it
            send_all(fd, bytes);
            ::close(fd);
            break;
          }
          case intruder_kind::half_handshake:
            send_all(fd, half);
            held.push_back(fd);
            if (held.size() > 200) {  // longer than the handshake timeout at the test rates
              ::close(held.front());
              held.pop_front();
            }
            break;
        }
      }
      auto now = std::chrono::steady_clock::now();
      if (next > now)
        std::this_thread::sleep_until(next);
      else if (now - next > 1s)
        next = now;  // fell behind: do not burst to catch up
    }
    for (int fd : held) ::close(fd);
  }

  intruder_kind kind_;
  std::uint16_t port_;
  const cluster_pki* pki_;
  double per_second_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> attempts_{0};
  std::vector<std::thread> threads_;
};

// One HTTP GET of /metrics from an admin port; the body.
inline std::string scrape_metrics(std::uint16_t admin) {
  int fd = dial_loopback(admin, 5000ms);
  REQUIRE(fd >= 0);
  send_all(fd, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  std::string out;
  char buf[4096];
  for (;;) {
    auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

// The value of one sample line `name` (with its labels) in a scrape.
inline double metric(const std::string& body, const std::string& name) {
  auto at = body.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stod(body.substr(at + name.size() + 2));
}

struct stream_result {
  int sent = 0;
  int received = 0;
  int out_of_order = 0;
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
};

// `from` sends one numbered, timestamped message every `gap` for
// `duration` to `to`; what arrives is checked for order and completeness
// and its latency measured. Waits up to 10 s after the end for stragglers.
inline stream_result measure_stream(connection& from, connection& to, std::chrono::milliseconds duration,
                                    std::chrono::milliseconds gap = 10ms) {
  stream_result r;
  std::atomic<int> sent{0};
  std::atomic<bool> finished{false};
  auto start = std::chrono::steady_clock::now();
  std::thread sender([&] {
    auto next = start;
    while (std::chrono::steady_clock::now() - start < duration) {
      auto now = std::chrono::steady_clock::now().time_since_epoch();
      auto us = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
      from.send_to(to.fp(), bytes_of("seq " + std::to_string(sent.load()) + " " + std::to_string(us)));
      ++sent;
      next += gap;
      std::this_thread::sleep_until(next);
    }
    finished = true;
  });
  std::vector<double> latencies;
  int expected = 0;
  auto give_up = start + duration + 10s;
  while (std::chrono::steady_clock::now() < give_up) {
    if (finished && expected >= sent.load()) break;
    auto s = next_send(to, 200ms);
    if (!s) continue;
    std::string text(s->payload.begin(), s->payload.end());
    if (text.rfind("seq ", 0) != 0) continue;
    auto space = text.find(' ', 4);
    int seq = std::stoi(text.substr(4, space - 4));
    long long us = std::stoll(text.substr(space + 1));
    auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                 std::chrono::steady_clock::now().time_since_epoch())
                 .count();
    latencies.push_back(static_cast<double>(now - us) / 1000.0);
    if (seq != expected) ++r.out_of_order;  // a gap, a repeat or a reordering
    expected = seq + 1;
    ++r.received;
  }
  sender.join();
  r.sent = sent.load();
  std::sort(latencies.begin(), latencies.end());
  auto at = [&](double q) {
    if (latencies.empty()) return 0.0;
    return latencies[std::min(latencies.size() - 1, static_cast<std::size_t>(q * static_cast<double>(latencies.size())))];
  };
  r.p50_ms = at(0.50);
  r.p99_ms = at(0.99);
  r.max_ms = latencies.empty() ? 0 : latencies.back();
  return r;
}

}  // namespace relay::test
