// The admin endpoint (--admin-listen): Prometheus metrics with exact
// counter deltas for a scripted session, health and readiness (also of a
// cluster node that has not joined), 404s, the loopback guard, and the
// structured log formats (--log-format). Loopback only, every wait bounded.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <rapidjson/document.h>

#include "conformance.hpp"
#include "admin_helpers.hpp"
#include "helpers.hpp"
#include "relay/version.hpp"

using namespace relay;
using namespace relay::test;

namespace {

// A loopback port nothing listens on (right now).
std::uint16_t unused_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// Opens a connection and answers the challenge with a corrupted signature.
void bad_signature_attempt(const relay_process& relay, const protocol::identity_key_pair& key) {
  auto c = connection::open(relay.url());
  auto msg = c->receive(5s);
  REQUIRE(msg);
  auto* challenge = std::get_if<protocol::auth_challenge>(&*msg);
  REQUIRE(challenge != nullptr);
  auto sign1 = key.sign_challenge(challenge->value);
  sign1.back() ^= 0x01;
  c->send(protocol::auth_response{protocol::identity{key.cose_key_bytes()}, sign1});
  auto closed = c->wait_closed(5s);
  REQUIRE(closed);
  CHECK(closed->code == 1008);
}

const std::string auth_ok = "relay_auth_ok_total";
const std::string bad_sig = "relay_auth_failures_total{reason=\"signature\"}";
const std::string routed = "relay_messages_routed_total";
const std::string routed_bytes = "relay_bytes_routed_total";
const std::string issued = "relay_codes_issued_total";
const std::string claimed = "relay_codes_claimed_total";
const std::string live_codes = "relay_codes_live";
const std::string pending = "relay_connections{phase=\"pending_auth\"}";
const std::string authenticated = "relay_connections{phase=\"authenticated\"}";
const std::string opened = "relay_connections_opened_total";
const std::string closed_total = "relay_connections_closed_total";

}  // namespace

TEST_CASE("/metrics counts a scripted session exactly", "[e2e][admin]") {
  relay_process relay({"--admin-listen", "127.0.0.1:0"});
  auto port = admin_port(relay);

  auto first = http_get(port, "/metrics");
  REQUIRE(first.status == 200);
  CHECK(first.headers.find("text/plain; version=0.0.4") != std::string::npos);
  for (const char* family : {"# TYPE relay_auth_failures_total counter", "# TYPE relay_connections gauge",
                             "# HELP relay_messages_routed_total ", "# TYPE relay_outbound_queued_bytes gauge",
                             "# TYPE relay_cluster_peers gauge", "# TYPE relay_codes_live gauge"})
    CHECK(first.body.find(family) != std::string::npos);
  auto before = parse_metrics(first.body);
  // The build's identity; the expected version comes from the top-level project().
  CHECK(first.body.find("# TYPE relay_build_info gauge") != std::string::npos);
  CHECK(value(before, "relay_build_info{version=\"" RELAY_EXPECTED_VERSION "\",commit=\"" +
                          std::string(relay::git_commit()) + "\"}") == 1);
  for (const char* reason : {"cbor", "alg", "payload", "identity", "signature", "malformed", "timeout", "policy",
                             "too_many"})
    CHECK(before.count("relay_auth_failures_total{reason=\"" + std::string(reason) + "\"}") == 1);
  CHECK(value(before, pending) == 0);
  CHECK(value(before, authenticated) == 0);

  auto a = authed(relay, test_key(41));
  auto b = authed(relay, test_key(42));
  require_round_trip(*a);  // both joined for sure
  require_round_trip(*b);
  bad_signature_attempt(relay, test_key(43));

  auto during = scrape_until(port, [&](const metrics& m) {
    return value(m, authenticated) == 2 && value(m, pending) == 0 && value(m, bad_sig) == 1;
  });
  CHECK(value(during, authenticated) == 2);
  CHECK(value(during, pending) == 0);
  CHECK(value(during, bad_sig) - value(before, bad_sig) == 1);
  CHECK(value(during, auth_ok) - value(before, auth_ok) == 2);
  CHECK(value(during, opened) - value(before, opened) == 3);
  auto mid = during;  // the round trips were 2 Sends already

  std::size_t payload_bytes = 0;
  for (int i = 0; i < 3; ++i) {
    auto payload = bytes_of("message " + std::to_string(i));
    payload_bytes += payload.size();
    a->send_to(b->fp(), payload);
    auto got = next_send(*b);
    REQUIRE(got);
    CHECK(got->payload == payload);
  }
  auto code = a->get_rendezvous();
  auto live = scrape_until(port, [&](const metrics& m) { return value(m, live_codes) == 1; });
  CHECK(value(live, live_codes) == 1);
  auto info = b->claim(code);
  REQUIRE(info);
  CHECK(info->fp == a->fp());

  auto after = scrape_until(port, [&](const metrics& m) {
    return value(m, routed) - value(mid, routed) == 3 && value(m, claimed) - value(mid, claimed) == 1;
  });
  CHECK(value(after, routed) - value(mid, routed) == 3);
  CHECK(value(after, routed) - value(before, routed) == 5);  // + the two round trips
  CHECK(value(after, routed_bytes) - value(mid, routed_bytes) == static_cast<double>(payload_bytes));
  CHECK(value(after, issued) - value(before, issued) == 1);
  CHECK(value(after, claimed) - value(before, claimed) == 1);
  CHECK(value(after, live_codes) == 0);
  CHECK(value(after, auth_ok) - value(before, auth_ok) == 2);
  CHECK(value(after, bad_sig) - value(before, bad_sig) == 1);
  CHECK(value(after, "relay_auth_failures_total{reason=\"timeout\"}") == 0);
  CHECK(value(after, "relay_dropped_total{reason=\"no_route\"}") == 0);
  CHECK(value(after, "relay_slow_consumer_closes_total") == 0);
  CHECK(value(after, "relay_cluster_peers") == 0);

  a->close();
  b->close();
  auto gone = scrape_until(port, [&](const metrics& m) {
    return value(m, authenticated) == 0 && value(m, closed_total) - value(before, closed_total) == 3 &&
           value(m, "relay_outbound_queued_bytes") == 0;
  });
  CHECK(value(gone, authenticated) == 0);
  CHECK(value(gone, pending) == 0);
  CHECK(value(gone, closed_total) - value(before, closed_total) == 3);
  CHECK(value(gone, "relay_outbound_queued_bytes") == 0);
}

TEST_CASE("/healthz, /readyz and unknown paths", "[e2e][admin]") {
  relay_process relay({"--admin-listen", "127.0.0.1:0"});
  auto port = admin_port(relay);
  auto health = http_get(port, "/healthz");
  CHECK(health.status == 200);
  CHECK(health.body == "ok\n");
  CHECK(http_get(port, "/readyz").status == 200);
  CHECK(http_get(port, "/metrics?x=1").status == 200);
  CHECK(http_get(port, "/").status == 404);
  CHECK(http_get(port, "/metricsx").status == 404);
  CHECK(http_request(port, "POST", "/metrics").status == 405);
  // A garbage request gets no answer and the endpoint keeps serving.
  auto garbage = run_program({"/usr/bin/env", "bash", "-c",
                              "exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(port) +
                                "; printf 'NOT HTTP AT ALL\\r\\n\\r\\n' >&3; timeout 5 cat <&3"},
                             10s);
  CHECK(garbage.out.find("200") == std::string::npos);
  CHECK(http_get(port, "/healthz").status == 200);
  // The WebSocket port is untouched by the admin port and vice versa.
  auto c = authed(relay, test_key(44));
  require_round_trip(*c);
}

TEST_CASE("/readyz is 503 until a cluster node has joined a peer", "[e2e][admin][cluster]") {
  auto peer_port = unused_port();
  relay_process node({"--admin-listen", "127.0.0.1:0", "--cluster-listen", "127.0.0.1:0", "--cluster-timeout", "2",
                      "--peer", "127.0.0.1:" + std::to_string(peer_port)});
  auto port = admin_port(node);
  CHECK(http_get(port, "/readyz").status == 503);
  CHECK(http_get(port, "/healthz").status == 200);
  std::this_thread::sleep_for(1500ms);  // a few failed dials later: still not ready
  CHECK(http_get(port, "/readyz").status == 503);
  CHECK(value(scrape(port), "relay_cluster_peers") == 0);

  // The peer it was told about comes up: the node re-dials and joins.
  relay_process peer({"--cluster-listen", "127.0.0.1:" + std::to_string(peer_port), "--cluster-timeout", "2"});
  CHECK(wait_status(port, "/readyz", 200, 15s) == 200);
  CHECK(value(scrape(port), "relay_cluster_peers") == 1);
}

TEST_CASE("the admin listener refuses non-loopback addresses without --admin-allow-remote", "[e2e][admin]") {
  auto relay_bin = (bin_dir() / "relay").string();
  for (const char* address : {"0.0.0.0:0", "[::]:0", "10.1.2.3:9100"}) {
    auto r = run_program({relay_bin, "--listen", "127.0.0.1:0", "--admin-listen", address}, 10s);
    INFO(address << ": " << r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("--admin-allow-remote") != std::string::npos);
    CHECK(r.out.empty());
  }
  auto bad = run_program({relay_bin, "--admin-listen", "nonsense"}, 10s);
  CHECK(bad.exit_code == 2);
  auto format = run_program({relay_bin, "--log-format", "xml"}, 10s);
  CHECK(format.exit_code == 2);
  auto help = run_program({relay_bin, "--help"}, 10s);
  CHECK(help.exit_code == 0);
  for (const char* flag : {"--admin-listen", "--admin-allow-remote", "--log-format"})
    CHECK(help.out.find(flag) != std::string::npos);
}

TEST_CASE("log format json writes one parseable object per line, without payloads or codes", "[e2e][admin][logs]") {
  auto log_path = std::filesystem::temp_directory_path() / ("relay-test-admin-" + std::to_string(::getpid()) + ".log");
  std::string code;
  const std::string secret = "SECRET-PAYLOAD-5e1f";
  {
    relay_process relay({"--log-format", "json", "--log-level", "debug", "--admin-listen", "127.0.0.1:0"}, "relay",
                        log_path.string());
    auto a = authed(relay, test_key(45));
    auto b = authed(relay, test_key(46));
    require_round_trip(*a);
    require_round_trip(*b);
    a->send_to(b->fp(), bytes_of(secret));
    REQUIRE(next_send(*b));
    code = a->get_rendezvous();
    REQUIRE(b->claim(code));
    bad_signature_attempt(relay, test_key(47));
    a->close();
    b->close();
    std::this_thread::sleep_for(300ms);
    relay.signal(SIGTERM);
    REQUIRE(relay.wait_exit(10s) == 0);
  }
  std::ifstream in{log_path};
  std::string line, all;
  int lines = 0, events = 0;
  std::map<std::string, int> names;
  while (std::getline(in, line)) {
    all += line + "\n";
    ++lines;
    rapidjson::Document doc;
    doc.Parse(line.c_str(), line.size());
    INFO("line: " << line);
    REQUIRE_FALSE(doc.HasParseError());
    REQUIRE(doc.IsObject());
    REQUIRE(doc.HasMember("ts"));
    CHECK(doc["ts"].IsString());
    REQUIRE(doc.HasMember("level"));
    CHECK(std::string(doc["level"].GetString()).size() >= 4);
    CHECK((doc.HasMember("event") || doc.HasMember("msg")));
    if (doc.HasMember("event")) {
      ++events;
      ++names[doc["event"].GetString()];
    }
  }
  std::filesystem::remove(log_path);
  INFO(all);
  CHECK(lines >= 5);
  CHECK(events >= 1);
  CHECK(names["admin_listening"] == 1);
  CHECK(names["authenticated"] == 2);
  CHECK(names["auth_refused"] == 1);
  CHECK(all.find("\"fp\":\"" + protocol::short_hex(test_key(45).fp()) + "\"") != std::string::npos);
  CHECK(all.find(protocol::to_hex(test_key(45).fp())) == std::string::npos);  // never the full one
  CHECK(all.find(secret) == std::string::npos);
  CHECK(all.find(code) == std::string::npos);
}

TEST_CASE("the default log format is key=value", "[e2e][admin][logs]") {
  auto relay_bin = (bin_dir() / "relay").string();
  auto r = run_program({"/usr/bin/env", "timeout", "--preserve-status", "-s", "TERM", relay_startup_grace_seconds(), relay_bin,
                        "--listen", "127.0.0.1:0", "--drain-seconds", "0"},
                       10s);
  INFO(r.err);
  CHECK(r.exit_code == 0);
  std::istringstream in{r.err};
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    CHECK(line.rfind("ts=", 0) == 0);
    CHECK(line.find(" level=") != std::string::npos);
  }
  CHECK(lines >= 2);
}
