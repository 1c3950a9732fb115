// relay-cli end to end: real relay-cli processes talking through a running
// relay over loopback sockets. Every wait is bounded.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>

#include "cli_helpers.hpp"
#include "relay/client/key_file.hpp"
#include "relay/protocol/rendezvous_code.hpp"

using namespace relay;
using namespace relay::test;

namespace {

// Starts `relay-cli listen` and returns it once it printed its code.
std::unique_ptr<child_process> start_listener(const relay_process& relay, const std::string& key,
                                              std::vector<std::string> extra, std::string& code) {
  std::vector<std::string> argv{cli_path(), "listen", "--url", relay.url(), "--key", key};
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto p = std::make_unique<child_process>(argv);
  auto first = p->read_line(10s);
  INFO("stderr: " << p->err());
  REQUIRE(first);
  bool json = std::find(extra.begin(), extra.end(), "--json") != extra.end();
  const std::string prefix = json ? "{\"event\":\"code\",\"code\":\"" : "code: ";
  REQUIRE(first->rfind(prefix, 0) == 0);
  code = first->substr(prefix.size(), protocol::rendezvous_code_length);
  REQUIRE(protocol::is_well_formed_rendezvous_code(code));
  return p;
}

}  // namespace

TEST_CASE("two relay-cli processes pair by code and exchange lines", "[cli][relay-cli][pair]") {
  relay_process relay;
  temp_dir dir;
  auto alg = GENERATE(std::string("ed25519"), std::string("ml-dsa-65"));
  INFO(alg);
  auto listener_fp = cli_keygen(dir.file("a.key"), alg);
  auto connector_fp = cli_keygen(dir.file("b.key"), alg);

  std::string code;
  auto listener = start_listener(relay, dir.file("a.key"), {"--count", "2", "--timeout", "20"}, code);

  auto r = cli({"connect", "--url", relay.url(), "--key", dir.file("b.key"), "--code", code}, 20s, "hello\nworld\n");
  INFO("connect stderr: " << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out == "peer: " + listener_fp + "\n");

  auto short_fp = connector_fp.substr(0, 8);
  CHECK(listener->read_line(10s) == short_fp + ": hello");
  CHECK(listener->read_line(10s) == short_fp + ": world");
  CHECK(listener->wait_exit(10s) == 0);

  // The code was single-use.
  auto again = cli({"connect", "--url", relay.url(), "--key", dir.file("b.key"), "--code", code,
                    "--claim-timeout", "0.5"},
                   20s, "");
  CHECK(again.exit_code == 4);
}

TEST_CASE("relay-cli connect prints the peer's replies", "[cli][relay-cli][pair]") {
  relay_process relay;
  temp_dir dir;
  auto connector_fp = cli_keygen(dir.file("b.key"));
  // The listening side is the client library, so the test can answer.
  auto owner_key = test_key(90);
  auto owner = authed(relay, owner_key);
  auto code = owner->get_rendezvous();

  child_process connector{{cli_path(), "connect", "--url", relay.url(), "--key", dir.file("b.key"), "--code",
                           code, "--json"}};
  auto peer_line = connector.read_line(10s);
  INFO("stderr: " << connector.err());
  REQUIRE(peer_line);
  CHECK(*peer_line == "{\"event\":\"peer\",\"fingerprint\":\"" + protocol::to_hex(owner_key.fp()) +
                        "\",\"algorithm\":\"ed25519\"}");
  connector.write_stdin("ping?\n");
  auto got = next_send(*owner, 10s);
  REQUIRE(got);
  CHECK(protocol::to_hex(*got->source) == connector_fp);
  CHECK(got->payload == bytes_of("ping?"));

  owner->send_to(*got->source, bytes_of("pong!"));
  owner->send_to(*got->source, protocol::byte_vector{0xff, 0x00, 0x41});
  auto reply = connector.read_line(10s);
  CHECK(reply == "{\"event\":\"message\",\"source\":\"" + protocol::to_hex(owner_key.fp()) +
                   "\",\"payload_text\":\"pong!\",\"payload_hex\":\"706f6e6721\"}");
  auto binary = connector.read_line(10s);
  CHECK(binary == "{\"event\":\"message\",\"source\":\"" + protocol::to_hex(owner_key.fp()) +
                    "\",\"payload_text\":null,\"payload_hex\":\"ff0041\"}");
  connector.close_stdin();
  CHECK(connector.wait_exit(10s) == 0);
}

TEST_CASE("relay-cli send reaches a listener, --json output is one object per line", "[cli][relay-cli][send]") {
  relay_process relay;
  temp_dir dir;
  auto listener_fp = cli_keygen(dir.file("a.key"));
  auto sender_fp = cli_keygen(dir.file("b.key"), "ml-dsa-65");
  std::string code;
  auto listener = start_listener(relay, dir.file("a.key"), {"--count", "3", "--timeout", "20", "--json"}, code);

  auto text = cli({"send", "--url", relay.url(), "--key", dir.file("b.key"), "--to", listener_fp, "--text",
                   "hi \"there\""});
  INFO("send stderr: " << text.err);
  CHECK(text.exit_code == 0);
  CHECK(text.out == "sent 10 bytes to " + listener_fp.substr(0, 8) + "\n");

  auto file = dir.file("payload.bin");
  write_bytes(file, {0x00, 0x01, 0xfe});
  auto binary = cli({"send", "--url", relay.url(), "--key", dir.file("b.key"), "--to", listener_fp, "--file", file,
                     "--json"});
  CHECK(binary.exit_code == 0);
  CHECK(binary.out == "{\"event\":\"sent\",\"destination\":\"" + listener_fp + "\",\"bytes\":3}\n");

  // Valid UTF-8 with a control character: text in JSON, escaped.
  CHECK(cli({"send", "--url", relay.url(), "--key", dir.file("b.key"), "--to", listener_fp, "--text", "a\tb\nc"})
          .exit_code == 0);

  auto prefix = "{\"event\":\"message\",\"source\":\"" + sender_fp + "\",";
  CHECK(listener->read_line(10s) == prefix + "\"payload_text\":\"hi \\\"there\\\"\",\"payload_hex\":\"68692022746865726522\"}");
  CHECK(listener->read_line(10s) == prefix + "\"payload_text\":null,\"payload_hex\":\"0001fe\"}");
  CHECK(listener->read_line(10s) == prefix + "\"payload_text\":\"a\\tb\\nc\",\"payload_hex\":\"6109620a63\"}");
  CHECK(listener->wait_exit(10s) == 0);
}

TEST_CASE("relay-cli listen prints non-text payloads as hex and stops on SIGTERM with 0", "[cli][relay-cli]") {
  relay_process relay;
  temp_dir dir;
  auto listener_fp = cli_keygen(dir.file("a.key"));
  std::string code;
  auto listener = start_listener(relay, dir.file("a.key"), {}, code);
  auto key = test_key(91);
  auto sender = authed(relay, key);
  protocol::fingerprint to{};
  protocol::byte_vector fp_bytes;
  REQUIRE(protocol::from_hex(listener_fp, fp_bytes));
  std::copy(fp_bytes.begin(), fp_bytes.end(), to.begin());
  sender->send_to(to, {0x01, 0x02});
  sender->send_to(to, bytes_of("line one\nline two"));
  CHECK(listener->read_line(10s) == protocol::short_hex(key.fp()) + " (hex): 0102");
  CHECK(listener->read_line(10s) == protocol::short_hex(key.fp()) + " (hex): 6c696e65206f6e650a6c696e652074776f");
  listener->signal(SIGTERM);
  CHECK(listener->wait_exit(10s) == 0);
}

TEST_CASE("relay-cli exit codes: usage 2, unreachable 1, unknown or expired code 4, auth refused 3, "
          "relay gone 1",
          "[cli][relay-cli][exit]") {
  temp_dir dir;
  auto key = dir.file("k.key");
  cli_keygen(key);

  SECTION("usage errors exit 2 without touching the network") {
    CHECK(cli({}).exit_code == 2);
    CHECK(cli({"frobnicate"}).exit_code == 2);
    CHECK(cli({"keygen"}).exit_code == 2);
    CHECK(cli({"keygen", "--out", dir.file("x"), "--algorithm", "rsa"}).exit_code == 2);
    CHECK(cli({"fingerprint", "--key", key, "--bogus"}).exit_code == 2);
    CHECK(cli({"fingerprint", "--key"}).exit_code == 2);
    CHECK(cli({"fingerprint", "--key", key, "--key", key}).exit_code == 2);
    CHECK(cli({"listen", "--key", key}).exit_code == 2);
    CHECK(cli({"listen", "--url", "wss://", "--key", key}).exit_code == 2);
    CHECK(cli({"listen", "--url", "http://127.0.0.1:1", "--key", key}).exit_code == 2);
    CHECK(cli({"listen", "--url", "wss://", "--key", dir.file("missing.key")}).exit_code == 2);
    CHECK(cli({"listen", "--url", "ws://127.0.0.1:1", "--key", key, "--count", "0"}).exit_code == 2);
    CHECK(cli({"connect", "--url", "ws://127.0.0.1:1", "--key", key, "--code", "ABC"}).exit_code == 2);
    CHECK(cli({"send", "--url", "ws://127.0.0.1:1", "--key", key, "--to", "abcd", "--text", "x"}).exit_code == 2);
    CHECK(cli({"send", "--url", "ws://127.0.0.1:1", "--key", key, "--to", std::string(64, 'a')}).exit_code == 2);
    auto both = cli({"send", "--url", "ws://127.0.0.1:1", "--key", key, "--to", std::string(64, 'a'), "--text", "x",
                     "--file", key});
    CHECK(both.exit_code == 2);
    CHECK(both.err.find("exactly one") != std::string::npos);
    auto bad_url = cli({"send", "--url", "wss://", "--key", key, "--to", std::string(64, 'a'), "--text", "x"});
    CHECK(bad_url.exit_code == 2);
    CHECK(bad_url.err.find("invalid relay URL") != std::string::npos);
  }
  SECTION("--help on every subcommand exits 0 and documents the exit codes") {
    for (std::string cmd : {"keygen", "fingerprint", "listen", "connect", "send"}) {
      auto r = cli({cmd, "--help"});
      INFO(cmd);
      CHECK(r.exit_code == 0);
      CHECK(r.out.rfind("Usage: relay-cli " + cmd, 0) == 0);
      CHECK(r.out.find("Exit status") != std::string::npos);
      CHECK(r.out.find("--json") != std::string::npos);
    }
    auto top = cli({"--help"});
    CHECK(top.exit_code == 0);
    CHECK(top.out.find("listen") != std::string::npos);
  }
  SECTION("an unreachable relay exits 1") {
    // A port that is bound but not listening refuses every connection.
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    std::string url = "ws://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
    auto r = cli({"listen", "--url", url, "--key", key});
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("cannot connect") != std::string::npos);
    CHECK(cli({"send", "--url", url, "--key", key, "--to", std::string(64, 'a'), "--text", "x"}).exit_code == 1);
    ::close(fd);
  }
  SECTION("unknown, used and expired codes exit 4") {
    relay_process relay{{"--rendezvous-ttl", "1"}};
    auto unknown = cli({"connect", "--url", relay.url(), "--key", key, "--code", "aaa-bbb-ccc", "--claim-timeout", "0.5"});
    CHECK(unknown.exit_code == 4);
    CHECK(unknown.err.find("AAA-BBB-CCC") != std::string::npos);

    auto owner = authed(relay, test_key(92));
    auto used = owner->get_rendezvous();
    auto claimer = authed(relay, test_key(93));
    REQUIRE(claimer->claim(used));
    CHECK(cli({"connect", "--url", relay.url(), "--key", key, "--code", used, "--claim-timeout", "0.5"}).exit_code == 4);

    auto expiring = owner->get_rendezvous();
    std::this_thread::sleep_for(1500ms);
    CHECK(cli({"connect", "--url", relay.url(), "--key", key, "--code", expiring, "--claim-timeout", "0.5"})
            .exit_code == 4);
  }
  SECTION("listen --count not reached before --timeout exits 4") {
    relay_process relay;
    auto r = cli({"listen", "--url", relay.url(), "--key", key, "--count", "1", "--timeout", "0.5"});
    CHECK(r.exit_code == 4);
    CHECK(r.out.rfind("code: ", 0) == 0);
  }
  SECTION("a refused authentication exits 3") {
    relay_process relay{{"--max-connections-per-identity", "1"}};
    auto first = client::connection::open(relay.url());
    first->authenticate(client::load_key_file(key), 5s, 300ms);
    require_round_trip(*first);
    auto r = cli({"send", "--url", relay.url(), "--key", key, "--to", std::string(64, 'a'), "--text", "x"});
    INFO(r.err);
    CHECK(r.exit_code == 3);
    CHECK(r.err.find("authentication refused: 1008") != std::string::npos);
  }
  SECTION("a relay that goes away ends listen with exit 1") {
    relay_process relay;
    std::string code;
    auto listener = start_listener(relay, key, {}, code);
    relay.signal(SIGTERM);
    CHECK(listener->wait_exit(10s) == 1);
    CHECK(listener->err().find("1001") != std::string::npos);
  }
}

TEST_CASE("relay-cli listen's keepalive pings outlast the relay's idle timeout", "[cli][relay-cli][keepalive]") {
  relay_process relay{{"--idle-timeout", "1"}};
  temp_dir dir;
  auto key = dir.file("k.key");
  cli_keygen(key);
  auto kept = cli({"listen", "--url", relay.url(), "--key", key, "--keepalive", "0.2", "--timeout", "2.5"});
  INFO(kept.err);
  CHECK(kept.exit_code == 0);
  auto dropped = cli({"listen", "--url", relay.url(), "--key", key, "--keepalive", "0", "--timeout", "2.5"});
  CHECK(dropped.exit_code == 1);
  CHECK(dropped.err.find("idle timeout") != std::string::npos);
}
