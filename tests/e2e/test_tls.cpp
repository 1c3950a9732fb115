// wss://: the relay serving TLS natively (--tls-cert/--tls-key), the
// client library and relay-cli verifying it (--ca), and certificate reload
// on SIGHUP. Every certificate is made at test time with the openssl CLI in
// a fresh temporary folder; everything runs over loopback, every wait is
// bounded.
#include <signal.h>
#include <stdlib.h>

#include <filesystem>
#include <thread>

#include "cli_helpers.hpp"
#include "relay/protocol/rendezvous_code.hpp"

using namespace relay;
using namespace relay::test;

namespace {

// Two throwaway CAs, a server certificate from each (for 127.0.0.1 and
// localhost), one for another name only, and "live.pem"/"live.key": the
// files the relay is started with (a copy of server1's).
struct tls_pki {
  std::string dir;
  tls_pki() {
    char tmpl[] = "/tmp/relay-tls-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    auto script =
      "set -e; cd " + dir + "\n"
      "mk_ca() { openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout $1.key "
      "-out $1.pem -days 1 -subj /CN=$1 2>/dev/null; }\n"
      "mk_server() { openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout $1.key "
      "-out $1.csr -subj /CN=$1 2>/dev/null\n"
      "  printf 'subjectAltName=%s\\nbasicConstraints=CA:FALSE\\nextendedKeyUsage=serverAuth\\n' \"$3\" > $1.ext\n"
      "  openssl x509 -req -in $1.csr -CA $2.pem -CAkey $2.key -CAcreateserial -out $1.pem -days 1 "
      "-extfile $1.ext 2>/dev/null; }\n"
      "mk_ca ca1; mk_ca ca2\n"
      "mk_server server1 ca1 IP:127.0.0.1,DNS:localhost\n"
      "mk_server server2 ca2 IP:127.0.0.1,DNS:localhost\n"
      "mk_server elsewhere ca1 DNS:relay.example\n"
      "cp server1.pem live.pem; cp server1.key live.key\n";
    auto r = run_program({"/bin/bash", "-c", script}, 30s);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
  }
  ~tls_pki() { run_program({"/bin/rm", "-rf", dir}, 10s); }
  std::string file(const std::string& name) const { return dir + "/" + name; }
  std::vector<std::string> flags(const std::string& cert = "live") const {
    return {"--tls-cert", file(cert + ".pem"), "--tls-key", file(cert + ".key")};
  }
  // Replaces the live files (each by an atomic rename, as a deploy would).
  void install(const std::string& cert) const {
    for (std::string ext : {".pem", ".key"}) {
      std::filesystem::copy_file(file(cert + ext), file("next" + ext),
                                 std::filesystem::copy_options::overwrite_existing);
      std::filesystem::rename(file("next" + ext), file("live" + ext));
    }
  }
};

client::connect_options trusting(const std::string& ca_file, std::chrono::milliseconds timeout = 5s) {
  client::connect_options o;
  o.timeout = timeout;
  o.ca_file = ca_file;
  return o;
}

std::string connect_failure(const std::string& url, const client::connect_options& options) {
  try {
    connection::open(url, options);
  } catch (const client::connect_error& e) {
    return e.what();
  }
  return "(connected)";
}

}  // namespace

TEST_CASE("wss: a client trusting the relay's CA authenticates, others are refused", "[e2e][tls]") {
  tls_pki pki;
  relay_process relay{pki.flags()};
  REQUIRE(relay.url() == "wss://127.0.0.1:" + std::to_string(relay.port()));

  auto key = test_key(120);
  auto c = connection::open(relay.url(), trusting(pki.file("ca1.pem")));
  c->authenticate(key, 5s, 300ms);
  require_round_trip(*c);

  SECTION("by host name too (SNI and the DNS name in the certificate)") {
    auto by_name = connection::open("wss://localhost:" + std::to_string(relay.port()), trusting(pki.file("ca1.pem")));
    by_name->authenticate(test_key(121), 5s, 300ms);
    require_round_trip(*by_name);
  }
  SECTION("without the CA (the system's trust store) the certificate is not trusted") {
    auto why = connect_failure(relay.url(), client::connect_options{});
    INFO(why);
    CHECK(why.find("TLS certificate not trusted") != std::string::npos);
  }
  SECTION("a CA that did not sign it is refused") {
    auto why = connect_failure(relay.url(), trusting(pki.file("ca2.pem")));
    INFO(why);
    CHECK(why.find("TLS certificate not trusted") != std::string::npos);
  }
  SECTION("plain ws:// to the TLS port fails promptly") {
    auto started = std::chrono::steady_clock::now();
    auto why = connect_failure("ws://127.0.0.1:" + std::to_string(relay.port()), trusting("", 3s));
    INFO(why);
    CHECK(why.rfind("cannot connect", 0) == 0);
    CHECK(std::chrono::steady_clock::now() - started < 3s);
  }
  SECTION("an unreadable CA file is a clear error") {
    auto why = connect_failure(relay.url(), trusting(pki.file("missing.pem")));
    CHECK(why.find("missing.pem") != std::string::npos);
  }
  // Refused handshakes leave the relay serving.
  require_round_trip(*c);
}

TEST_CASE("wss: a certificate for another name is refused (host name verification)", "[e2e][tls]") {
  tls_pki pki;
  relay_process relay{pki.flags("elsewhere")};
  auto why = connect_failure(relay.url(), trusting(pki.file("ca1.pem")));
  INFO(why);
  CHECK(why.find("TLS certificate not trusted") != std::string::npos);
  CHECK(why.find("mismatch") != std::string::npos);
}

TEST_CASE("relay TLS flags: both or neither (exit 2), bad files exit 1 naming the file", "[e2e][tls]") {
  tls_pki pki;
  auto relay_bin = (bin_dir() / "relay").string();
  auto only_cert = run_program({relay_bin, "--listen", "127.0.0.1:0", "--tls-cert", pki.file("server1.pem")}, 5s);
  CHECK(only_cert.exit_code == 2);
  CHECK(only_cert.err.find("--tls-cert and --tls-key go together") != std::string::npos);
  auto only_key = run_program({relay_bin, "--listen", "127.0.0.1:0", "--tls-key", pki.file("server1.key")}, 5s);
  CHECK(only_key.exit_code == 2);

  auto missing = run_program({relay_bin, "--listen", "127.0.0.1:0", "--tls-cert", pki.file("missing.pem"),
                              "--tls-key", pki.file("server1.key")},
                             5s);
  CHECK(missing.exit_code == 1);
  CHECK(missing.err.find("missing.pem") != std::string::npos);
  auto mismatched = run_program({relay_bin, "--listen", "127.0.0.1:0", "--tls-cert", pki.file("server1.pem"),
                                 "--tls-key", pki.file("server2.key")},
                                5s);
  CHECK(mismatched.exit_code == 1);
  CHECK(mismatched.err.find("server2.key") != std::string::npos);
  auto not_pem = run_program({relay_bin, "--listen", "127.0.0.1:0", "--tls-cert", pki.file("server1.ext"),
                              "--tls-key", pki.file("server1.key")},
                             5s);
  CHECK(not_pem.exit_code == 1);
  CHECK(not_pem.err.find("server1.ext") != std::string::npos);
}

TEST_CASE("SIGHUP reloads the certificate for new connections, open ones keep working", "[e2e][tls][reload]") {
  tls_pki pki;
  relay_process relay{pki.flags()};
  auto old_key = test_key(122);
  auto old_conn = connection::open(relay.url(), trusting(pki.file("ca1.pem")));
  old_conn->authenticate(old_key, 5s, 300ms);
  require_round_trip(*old_conn);

  // A certificate from another CA: after the reload only clients trusting
  // CA2 get in, which shows that new connections see the new certificate.
  pki.install("server2");
  relay.signal(SIGHUP);
  std::unique_ptr<connection> new_conn;
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!new_conn && std::chrono::steady_clock::now() < deadline) {
    try {
      new_conn = connection::open(relay.url(), trusting(pki.file("ca2.pem"), 2s));
    } catch (const client::connect_error&) {
      std::this_thread::sleep_for(50ms);
    }
  }
  REQUIRE(new_conn);
  new_conn->authenticate(test_key(123), 5s, 300ms);
  require_round_trip(*new_conn);
  auto why = connect_failure(relay.url(), trusting(pki.file("ca1.pem")));
  INFO(why);
  CHECK(why.find("TLS certificate not trusted") != std::string::npos);

  // The connection made under the old certificate is untouched, and the
  // two talk to each other.
  require_round_trip(*old_conn);
  old_conn->send_to(new_conn->fp(), bytes_of("across the reload"));
  auto got = next_send(*new_conn);
  REQUIRE(got);
  CHECK(got->payload == bytes_of("across the reload"));

  SECTION("a reload from bad files keeps the current certificate") {
    std::filesystem::copy_file(pki.file("server1.ext"), pki.file("live.pem"),
                               std::filesystem::copy_options::overwrite_existing);
    relay.signal(SIGHUP);
    std::this_thread::sleep_for(500ms);
    CHECK_FALSE(relay.wait_exit(0ms));
    auto again = connection::open(relay.url(), trusting(pki.file("ca2.pem")));
    again->authenticate(test_key(124), 5s, 300ms);
    require_round_trip(*again);
    require_round_trip(*old_conn);
  }
}

TEST_CASE("relay-cli pairs over wss:// with --ca", "[e2e][tls][relay-cli]") {
  tls_pki pki;
  relay_process relay{pki.flags()};
  temp_dir dir;
  auto listener_fp = cli_keygen(dir.file("a.key"));
  auto connector_fp = cli_keygen(dir.file("b.key"));
  auto ca = pki.file("ca1.pem");

  child_process listener{{cli_path(), "listen", "--url", relay.url(), "--key", dir.file("a.key"), "--ca", ca,
                          "--count", "1", "--timeout", "20"}};
  auto first = listener.read_line(10s);
  INFO("listen stderr: " << listener.err());
  REQUIRE(first);
  REQUIRE(first->rfind("code: ", 0) == 0);
  auto code = first->substr(6, protocol::rendezvous_code_length);

  auto r = cli({"connect", "--url", relay.url(), "--key", dir.file("b.key"), "--code", code, "--ca", ca}, 20s,
               "hello over tls\n");
  INFO("connect stderr: " << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out == "peer: " + listener_fp + "\n");
  CHECK(listener.read_line(10s) == connector_fp.substr(0, 8) + ": hello over tls");
  CHECK(listener.wait_exit(10s) == 0);

  // Without --ca the relay's certificate is not trusted: a runtime failure.
  auto untrusted = cli({"send", "--url", relay.url(), "--key", dir.file("b.key"), "--to", listener_fp, "--text", "x"});
  CHECK(untrusted.exit_code == 1);
  CHECK(untrusted.err.find("TLS certificate not trusted") != std::string::npos);
}

namespace {
// A raw TCP client that sends `prefix` and then nothing; prints how long the
// relay took to close the connection ("rc=124" if it never did in 30 s).
child_process stalled_client(int port, const std::string& prefix) {
  return child_process{{"/usr/bin/env", "bash", "-c",
                        "exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(port) + "; printf '" + prefix +
                          "' >&3; start=$(date +%s%N); timeout 30 cat <&3 >/dev/null; rc=$?; "
                          "echo \"rc=$rc ms=$(( ($(date +%s%N) - start) / 1000000 ))\""}};
}

long closed_after_ms(child_process& client) {
  auto line = client.read_line(40s);
  REQUIRE(line);
  INFO(*line);
  REQUIRE(line->find("rc=124") == std::string::npos);  // the relay never closed it
  return std::stol(line->substr(line->find("ms=") + 3));
}
}  // namespace

TEST_CASE("a connection that stalls before its upgrade is closed after the 10 s deadline, plain and TLS",
          "[e2e][tls][http]") {
  tls_pki pki;
  relay_process plain;
  relay_process tls{pki.flags()};
  // Half an upgrade request on the plain port; not even a ClientHello on the TLS one.
  auto half_request = stalled_client(plain.port(), "GET / HTTP/1.1\\r\\nHost: x\\r\\n");
  auto silent = stalled_client(tls.port(), "");
  auto plain_ms = closed_after_ms(half_request);
  auto tls_ms = closed_after_ms(silent);
  CHECK(plain_ms >= 9000);
  CHECK(plain_ms <= 15000);
  CHECK(tls_ms >= 9000);
  CHECK(tls_ms <= 15000);
  // Both relays serve others as before.
  auto c = authed(plain, test_key(1));
  require_round_trip(*c);
  auto t = connection::open(tls.url(), trusting(pki.file("ca1.pem")));
  t->authenticate(test_key(2), 5s, 300ms);
  require_round_trip(*t);
}
