// The cluster gate with real relay processes on loopback: while a steady
// stream crosses a healthy two-node link, non-members knock on a node's
// cluster port (foreign-CA certificate, no certificate, plain TCP, garbage
// bytes, half handshakes); the stream must arrive complete and in order,
// the link must not drop, and each refusal is counted under its reason.
// Also: a member claiming another's name, a wrong shared secret and
// another protocol version are refused, with a clear line in the log.
// A hidden [.cluster-gate-bench] case is the 30 s measurement
// (bench/cluster-intruders).
#include <cstdlib>
#include <fstream>
#include <optional>
#include <iostream>
#include <sstream>

#include "cluster_intruders.hpp"
#include "conformance.hpp"

using namespace relay;
using namespace relay::test;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Waits (bounded) until `needle` shows up in the file at `path`.
bool wait_for_log(const std::string& path, const std::string& needle, std::chrono::milliseconds timeout = 10s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (read_file(path).find(needle) != std::string::npos) return true;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

struct temp_dir {
  std::string path;
  temp_dir() {
    char tmpl[] = "/tmp/relay-gate-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~temp_dir() { run_program({"/bin/rm", "-rf", path}, 10s); }
  std::string file(const std::string& name, const std::string& contents = {}) const {
    auto p = path + "/" + name;
    if (!contents.empty()) std::ofstream(p) << contents;
    return p;
  }
};

enum class cluster_kind { tls, plain, secret };

// Two nodes, A and B (B joins A), each with an admin port and its log in
// `logs`; `extra` goes to both.
struct two_nodes {
  std::unique_ptr<relay_process> a, b;
  std::string a_log, b_log;
  two_nodes(cluster_kind kind, const cluster_pki* pki, const temp_dir& logs, const std::vector<std::string>& extra) {
    auto args = [&](const std::string& name, const std::vector<std::string>& peers) {
      std::vector<std::string> v{"--cluster-listen", "127.0.0.1:0", "--cluster-timeout", "2", "--admin-listen",
                                 "127.0.0.1:0"};
      if (kind == cluster_kind::tls)
        for (auto& f : pki->flags(name)) v.push_back(f);
      if (kind == cluster_kind::secret) {
        v.push_back("--cluster-psk-file");
        v.push_back(logs.file("psk", "a-shared-secret-of-some-length\n"));
      }
      for (const auto& p : peers) {
        v.push_back("--peer");
        v.push_back(p);
      }
      for (const auto& e : extra) v.push_back(e);
      return v;
    };
    a_log = logs.file("a.log");
    b_log = logs.file("b.log");
    a = std::make_unique<relay_process>(args("a", {}), "relay", a_log);
    b = std::make_unique<relay_process>(args("b", {cluster_address(*a)}), "relay", b_log);
  }
};

// Limits high enough that every intruder attempt reaches authentication
// (the per-address limits are checked on their own below).
const std::vector<std::string> open_limits{"--cluster-attempts-per-ip", "100000", "--cluster-pending-per-ip", "100000",
                                           "--cluster-handshake-timeout", "1"};

void link_survives(cluster_kind kind, intruder_kind who, const std::string& refusal_reason) {
  temp_dir logs;
  std::unique_ptr<cluster_pki> pki;
  if (kind == cluster_kind::tls) pki = std::make_unique<cluster_pki>();
  two_nodes nodes(kind, pki.get(), logs, open_limits);
  auto x = authed(*nodes.a, test_key(120));
  auto y = authed(*nodes.b, test_key(121));
  wait_routable(*x, *y);
  wait_routable(*y, *x);
  auto before = scrape_metrics(admin_port(*nodes.a));
  std::uint64_t attempts = 0;
  stream_result r;
  {
    intruder knock(who, port_of(cluster_address(*nodes.a)), pki.get(), 150);
    r = measure_stream(*x, *y, 4s);
    knock.stop();
    attempts = knock.attempts();
  }
  auto after = scrape_metrics(admin_port(*nodes.a));
  INFO(to_string(who) << ": " << attempts << " attempts; sent " << r.sent << ", received " << r.received
                      << ", out of order " << r.out_of_order << ", p99 " << r.p99_ms << " ms, max " << r.max_ms
                      << " ms");
  CHECK(attempts >= 100);
  CHECK(r.sent > 300);
  CHECK(r.received == r.sent);
  CHECK(r.out_of_order == 0);
  // No stall: a dropped link takes the 2 s cluster timeout to notice.
  CHECK(r.max_ms < 1500);
  auto name = "relay_cluster_refused_total{reason=\"" + refusal_reason + "\"}";
  CHECK(metric(after, name) > metric(before, name));
  CHECK(metric(after, "relay_cluster_peers") == 1);
  auto a_text = read_file(nodes.a_log);
  auto b_text = read_file(nodes.b_log);
  CHECK(a_text.find(" lost (") == std::string::npos);
  CHECK(b_text.find(" lost (") == std::string::npos);
  CHECK(a_text.find("cluster: refused 127.0.0.1:") != std::string::npos);  // logged on the accepting side
}

}  // namespace

TEST_CASE("cluster gate (TLS): a foreign-CA certificate cannot disturb the link", "[e2e][cluster][gate]") {
  link_survives(cluster_kind::tls, intruder_kind::foreign_ca, "tls");
}

TEST_CASE("cluster gate (TLS): a client without a certificate cannot disturb the link", "[e2e][cluster][gate]") {
  link_survives(cluster_kind::tls, intruder_kind::no_cert, "tls");
}

TEST_CASE("cluster gate (TLS): plain TCP cannot disturb the link", "[e2e][cluster][gate]") {
  link_survives(cluster_kind::tls, intruder_kind::plain_tcp, "tls");
}

TEST_CASE("cluster gate (TLS): garbage bytes cannot disturb the link", "[e2e][cluster][gate]") {
  link_survives(cluster_kind::tls, intruder_kind::garbage, "tls");
}

TEST_CASE("cluster gate (TLS): half TLS handshakes cannot disturb the link", "[e2e][cluster][gate]") {
  link_survives(cluster_kind::tls, intruder_kind::half_handshake, "timeout");
}

TEST_CASE("cluster gate (plain loopback): garbage bytes cannot disturb the link", "[e2e][cluster][gate]") {
  link_survives(cluster_kind::plain, intruder_kind::garbage, "handshake");
}

TEST_CASE("cluster gate (plain loopback): plain TCP and half hellos cannot disturb the link", "[e2e][cluster][gate]") {
  SECTION("plain TCP") { link_survives(cluster_kind::plain, intruder_kind::plain_tcp, "handshake"); }
  SECTION("half a hello") { link_survives(cluster_kind::plain, intruder_kind::half_handshake, "timeout"); }
}

TEST_CASE("cluster gate (shared secret): garbage bytes cannot disturb the link", "[e2e][cluster][gate]") {
  link_survives(cluster_kind::secret, intruder_kind::garbage, "handshake");
}

// The plain-cluster cause in one message: a BASP server-handshake header
// claiming a 4 GiB payload, which CAF's broker would size (and zero-fill)
// its read buffer to on the thread that serves every link.
TEST_CASE("cluster gate (plain loopback): a BASP header claiming 4 GiB never reaches the middleman",
          "[e2e][cluster][gate]") {
  temp_dir logs;
  two_nodes nodes(cluster_kind::plain, nullptr, logs, {"--cluster-handshake-timeout", "1"});
  auto x = authed(*nodes.a, test_key(129));
  auto y = authed(*nodes.b, test_key(132));
  wait_routable(*x, *y);
  auto rss_before = nodes.a->rss_kib();
  std::string header(32, '\0');  // operation 0 (server handshake), then flags, payload_len, operation_data
  header[4] = header[5] = header[6] = '\xff';
  header[7] = '\xf0';
  for (int i = 8; i < 16; ++i) header[i] = '\x01';
  std::vector<int> held;
  for (int i = 0; i < 3; ++i) {
    int fd = dial_loopback(port_of(cluster_address(*nodes.a)));
    REQUIRE(fd >= 0);
    send_all(fd, header);
    held.push_back(fd);
  }
  auto r = measure_stream(*x, *y, 3s);
  auto rss_after = nodes.a->rss_kib();
  for (int fd : held) ::close(fd);
  INFO("sent " << r.sent << ", received " << r.received << ", max " << r.max_ms << " ms; RSS " << rss_before << " -> "
                << rss_after << " KiB");
  CHECK(r.received == r.sent);
  CHECK(r.out_of_order == 0);
  CHECK(rss_after < rss_before + 64 * 1024);  // no multi-GiB buffer
  CHECK(read_file(nodes.a_log).find(" lost (") == std::string::npos);
  CHECK(read_file(nodes.b_log).find(" lost (") == std::string::npos);
  CHECK(wait_for_log(nodes.a_log, "(timeout): no complete handshake in time", 5s));
}

TEST_CASE("cluster gate: the per-address limits refuse a flood before any handshake", "[e2e][cluster][gate]") {
  temp_dir logs;
  cluster_pki pki;
  // Default limits: 20 new connections per second per address, burst 40.
  two_nodes nodes(cluster_kind::tls, &pki, logs, {});
  auto x = authed(*nodes.a, test_key(122));
  auto y = authed(*nodes.b, test_key(123));
  wait_routable(*x, *y);
  stream_result r;
  std::uint64_t attempts = 0;
  {
    // Four threads: a flood even where each TLS handshake is slow (a
    // sanitizer build on a busy machine managed only 99 attempts in 3 s
    // with one, fewer than the budget lets through, so none was limited).
    intruder knock(intruder_kind::foreign_ca, port_of(cluster_address(*nodes.a)), &pki, 300, 4);
    r = measure_stream(*x, *y, 3s);
    knock.stop();
    attempts = knock.attempts();
  }
  auto after = scrape_metrics(admin_port(*nodes.a));
  auto limited = metric(after, "relay_cluster_refused_total{reason=\"rate_limited\"}");
  auto handshakes = metric(after, "relay_cluster_refused_total{reason=\"tls\"}");
  INFO(attempts << " attempts: " << limited << " refused by rate, " << handshakes << " by TLS");
  CHECK(r.received == r.sent);
  CHECK(r.out_of_order == 0);
  CHECK(limited > 0);
  // At most the burst plus 20 per second of the attempts cost a handshake.
  CHECK(handshakes <= 40 + 20 * 4 + 5);
  CHECK(read_file(nodes.a_log).find("earlier refusal(s) not logged") != std::string::npos);  // rate-limited log
}

TEST_CASE("cluster gate (TLS): a member cannot claim another member's name", "[e2e][cluster][gate]") {
  temp_dir logs;
  cluster_pki pki;
  two_nodes nodes(cluster_kind::tls, &pki, logs, {});
  auto x = authed(*nodes.a, test_key(124));
  auto y = authed(*nodes.b, test_key(125));
  wait_routable(*x, *y);
  REQUIRE(wait_for_log(nodes.a_log, "peer b joined"));  // the default name is the certificate's CN

  // Node b's certificate, claiming to be c.
  tls_client as_b(pki.file("b.pem"), pki.file("b.key"), pki.file("ca.pem"));
  int fd = dial_loopback(port_of(cluster_address(*nodes.a)), 5000ms);
  REQUIRE(fd >= 0);
  SSL* ssl = as_b.handshake(fd);
  REQUIRE(ssl != nullptr);
  auto answer = tls_exchange(ssl, "relay-cluster 2 hello c " + std::string(64, 'a') + "\n");
  SSL_free(ssl);
  ::close(fd);
  CHECK(answer.rfind("relay-cluster 2 refused name c is not in your certificate", 0) == 0);
  CHECK(wait_for_log(nodes.a_log, "claims name 'c' but its certificate is for b"));
  auto after = scrape_metrics(admin_port(*nodes.a));
  CHECK(metric(after, "relay_cluster_refused_total{reason=\"name\"}") == 1);
  // The real b is unaffected.
  x->send_to(y->fp(), bytes_of("still here"));
  CHECK(expect_payload(*y, bytes_of("still here"), 5s));

  // A node cannot even start under a name its certificate does not carry.
  std::vector<std::string> argv{(bin_dir() / "relay").string(), "--listen", "127.0.0.1:0", "--cluster-listen",
                                "127.0.0.1:0", "--node-name", "a"};
  for (auto& f : pki.flags("b")) argv.push_back(f);
  auto r = run_program(argv, 10s);
  CHECK(r.exit_code != 0);
  CHECK(r.err.find("--node-name a is not a name in --cluster-cert") != std::string::npos);
}

TEST_CASE("cluster gate (shared secret): a node with the wrong secret is refused", "[e2e][cluster][gate]") {
  temp_dir logs;
  two_nodes nodes(cluster_kind::secret, nullptr, logs, {});
  auto x = authed(*nodes.a, test_key(126));
  auto y = authed(*nodes.b, test_key(127));
  wait_routable(*x, *y);
  auto c_log = logs.file("c.log");
  relay_process c({"--cluster-listen", "127.0.0.1:0", "--cluster-timeout", "2", "--cluster-psk-file",
                   logs.file("other-psk", "another-secret-of-some-length\n"), "--peer", cluster_address(*nodes.a)},
                  "relay", c_log);
  CHECK(wait_for_log(nodes.a_log, "wrong cluster secret"));
  CHECK(wait_for_log(c_log, "refused by the node: wrong cluster secret"));
  auto z = authed(c, test_key(128));
  z->send_to(x->fp(), bytes_of("from outside"));
  CHECK_FALSE(expect_payload(*x, bytes_of("from outside"), 1500ms));
  CHECK(metric(scrape_metrics(admin_port(*nodes.a)), "relay_cluster_refused_total{reason=\"secret\"}") >= 1);
  // A secret file too short to be one is refused at startup.
  auto r = run_program({(bin_dir() / "relay").string(), "--listen", "127.0.0.1:0", "--cluster-listen", "127.0.0.1:0",
                        "--cluster-psk-file", logs.file("short", "short\n")},
                       10s);
  CHECK(r.exit_code != 0);
  CHECK(r.err.find("must hold 16 to") != std::string::npos);
}

TEST_CASE("cluster gate: another cluster protocol version is refused cleanly on both sides", "[e2e][cluster][gate]") {
  temp_dir logs;
  auto a_log = logs.file("a.log");
  relay_process a({"--cluster-listen", "127.0.0.1:0", "--cluster-timeout", "2"}, "relay", a_log);

  SECTION("a newer node dials us") {
    int fd = dial_loopback(port_of(cluster_address(a)), 5000ms);
    REQUIRE(fd >= 0);
    send_all(fd, "relay-cluster 3 hello future " + std::string(64, 'b') + "\n");
    auto answer = read_some_text(fd);
    ::close(fd);
    CHECK(answer.rfind("relay-cluster 2 refused version 3 not supported, this node speaks 2", 0) == 0);
    CHECK(wait_for_log(a_log, "speaks cluster protocol version 3, this node speaks 2"));
  }

  SECTION("we dial a newer node") {
    // A listener that answers like a version-3 node.
    int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(listener, 4) == 0);
    socklen_t size = sizeof addr;
    ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &size);
    auto port = ntohs(addr.sin_port);
    auto b_log = logs.file("b.log");
    relay_process b({"--cluster-listen", "127.0.0.1:0", "--cluster-timeout", "2", "--peer",
                     "127.0.0.1:" + std::to_string(port)},
                    "relay", b_log);
    pollfd p{listener, POLLIN, 0};
    REQUIRE(::poll(&p, 1, 10000) == 1);
    int fd = ::accept(listener, nullptr, nullptr);
    REQUIRE(fd >= 0);
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    auto hello = read_some_text(fd);
    CHECK(hello.rfind("relay-cluster 2 hello ", 0) == 0);
    send_all(fd, "relay-cluster 3 welcome future " + std::string(64, 'c') + "\n");
    CHECK(wait_for_log(b_log, "the node speaks cluster protocol version 3, this node speaks 2"));
    ::close(fd);
    ::close(listener);
  }
}

// The measured bar (bench/cluster-intruders runs it): RELAY_GATE_BENCH_SECONDS
// (default 30) of RELAY_GATE_BENCH_RATE (default 500) attempts per second of
// every intruder kind in turn against a TLS cluster with default limits, a
// stream of 100 messages per second across the link; prints the numbers.
TEST_CASE("cluster gate bench", "[.cluster-gate-bench]") {
  auto env = [](const char* name, double fallback) {
    const char* v = std::getenv(name);
    return v && *v ? std::atof(v) : fallback;
  };
  auto seconds = env("RELAY_GATE_BENCH_SECONDS", 30);
  auto rate = env("RELAY_GATE_BENCH_RATE", 500);
  const char* only = std::getenv("RELAY_GATE_BENCH_KIND");
  temp_dir logs;
  cluster_pki pki;
  // First the same stream with nobody knocking: the machine's own baseline.
  std::vector<std::optional<intruder_kind>> kinds{std::nullopt, intruder_kind::foreign_ca, intruder_kind::no_cert,
                                                  intruder_kind::plain_tcp, intruder_kind::garbage,
                                                  intruder_kind::half_handshake};
  for (auto kind : kinds) {
    std::string label = kind ? to_string(*kind) : "no intruder (baseline)";
    if (kind && only && *only && label.find(only) == std::string::npos) continue;
    two_nodes nodes(cluster_kind::tls, &pki, logs, {});
    auto x = authed(*nodes.a, test_key(130));
    auto y = authed(*nodes.b, test_key(131));
    wait_routable(*x, *y);
    wait_routable(*y, *x);
    stream_result r;
    std::uint64_t attempts = 0;
    {
      std::optional<intruder> knock;
      if (kind) knock.emplace(*kind, port_of(cluster_address(*nodes.a)), &pki, rate, 2);
      r = measure_stream(*x, *y, std::chrono::milliseconds(static_cast<long long>(seconds * 1000)));
      if (knock) {
        knock->stop();
        attempts = knock->attempts();
      }
    }
    auto m = scrape_metrics(admin_port(*nodes.a));
    auto refused = [&](const char* reason) {
      return metric(m, std::string("relay_cluster_refused_total{reason=\"") + reason + "\"}");
    };
    bool lost_link = read_file(nodes.a_log).find(" lost (") != std::string::npos ||
                     read_file(nodes.b_log).find(" lost (") != std::string::npos;
    std::printf(
      "%-24s attempts %6llu (%5.0f/s)  refused: rate %6.0f pending %4.0f tls %5.0f handshake %4.0f timeout %4.0f  "
      "stream: sent %5d received %5d out-of-order %d  latency p50 %.2f ms p99 %.2f ms max %.2f ms  link %s\n",
      label.c_str(), static_cast<unsigned long long>(attempts), static_cast<double>(attempts) / seconds,
      refused("rate_limited"), refused("pending"), refused("tls"), refused("handshake"), refused("timeout"), r.sent,
      r.received, r.out_of_order, r.p50_ms, r.p99_ms, r.max_ms, lost_link ? "DROPPED" : "kept");
    std::fflush(stdout);
    CHECK(r.received == r.sent);
    CHECK(r.out_of_order == 0);
    CHECK(r.p99_ms < 50);
    CHECK_FALSE(lost_link);
  }
}
