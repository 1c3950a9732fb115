// relay-cli connect: claim a peer's rendezvous code, then send each line of
// stdin to that peer and print what arrives, until stdin ends.
#include <unistd.h>

#include <exception>
#include <thread>
#include <variant>

#include "../exit_codes.hpp"
#include "../line_reader.hpp"
#include "../session.hpp"
#include "commands.hpp"
#include "relay/client/key_file.hpp"

namespace relay::cli {

namespace {

using std::chrono::milliseconds;

// Sleeps up to `total`, waking early when `stop` is requested.
void linger(milliseconds total, const std::stop_token& stop) {
  auto deadline = std::chrono::steady_clock::now() + total;
  while (!stop.stop_requested() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(milliseconds(20));
}

int run(const args& a, context& ctx) {
  auto code = normalize_code(a.require("code"));
  auto claim_timeout = a.seconds("claim-timeout", std::chrono::seconds(5));
  auto linger_for = a.seconds("linger", std::chrono::seconds(1));
  auto keepalive = a.seconds("keepalive", std::chrono::seconds(30));
  std::stop_source stop;
  ctx.signals.take_over(stop);

  auto c = open_session(a);
  c->enable_keepalive(keepalive);
  auto peer = c->claim(code, claim_timeout);
  if (!peer)
    throw exit_error(exit_no_answer, "code " + code + " was not claimed: unknown, already used or expired "
                                     "(no answer from the relay)");
  auto peer_hex = protocol::to_hex(peer->fp);
  auto peer_key = protocol::parse_identity_key(peer->id.cose_key_bytes);
  std::string alg = peer_key ? client::algorithm_name(peer_key->alg) : "unknown";
  ctx.out.emit("peer: " + peer_hex, json_object{}.str("event", "peer").str("fingerprint", peer_hex).str("algorithm", alg));

  // Replies are printed by a second thread while this one reads stdin; a
  // closed connection there stops the whole command.
  std::exception_ptr receive_failure;
  std::thread receiver([&] {
    try {
      c->run_events(
        [&](const protocol::message& msg) {
          if (auto* s = std::get_if<protocol::send>(&msg)) ctx.out.message(*s);
        },
        stop.get_token());
    } catch (...) {
      receive_failure = std::current_exception();
      stop.request_stop();
    }
  });

  line_reader input{STDIN_FILENO};
  std::string line;
  bool input_ended = false;
  while (!stop.stop_requested()) {
    auto got = input.next(line, milliseconds(100));
    if (got == line_reader::status::eof) {
      input_ended = true;
      break;
    }
    if (got == line_reader::status::line) c->send_to(peer->fp, protocol::byte_vector(line.begin(), line.end()));
  }
  if (input_ended) linger(linger_for, stop.get_token());
  stop.request_stop();
  receiver.join();
  if (receive_failure) std::rethrow_exception(receive_failure);
  // Waiting for the close handshake also makes sure every line was written.
  c->close_gracefully(std::chrono::seconds(2));
  return exit_ok;
}

}  // namespace

command connect_command() {
  return {"connect", "claim a rendezvous code, then chat with its owner over stdin/stdout",
          "Usage: relay-cli connect --url URL --key FILE --code CODE [--linger SECONDS]\n"
          "                         [--claim-timeout SECONDS] [--keepalive SECONDS] [--ca FILE]\n"
          "                         [--json]\n"
          "\n"
          "Claims CODE (printed by the peer's `relay-cli listen`), prints the peer's\n"
          "fingerprint (\"peer: <hex>\"), then sends each line of stdin to the peer\n"
          "as one message (without the newline) and prints every message received\n"
          "as \"<short fingerprint>: <text>\". At the end of stdin it waits --linger\n"
          "seconds for replies and exits 0.\n"
          "\n"
          "  --url URL                relay address, ws://HOST:PORT or wss://HOST[:PORT]\n"
          "  --ca FILE                wss:// only: PEM CA certificate(s) to trust\n"
          "                           instead of the system's (e.g. a test CA)\n"
          "  --key FILE               identity key file\n"
          "  --code CODE              the peer's rendezvous code (ABC-DEF-GHI; case\n"
          "                           and dashes do not matter)\n"
          "  --linger SECONDS         wait for replies after stdin ends (default 1)\n"
          "  --claim-timeout SECONDS  how long to wait for the relay to answer the\n"
          "                           claim (default 5); no answer: exit 4\n"
          "  --keepalive SECONDS      ping interval (default 30; 0 turns pings off)\n"
          "  --json                   {\"event\":\"peer\",\"fingerprint\":..,\"algorithm\":..},\n"
          "                           then messages as in `relay-cli listen --json`\n",
          {{"url", true}, {"key", true}, {"code", true}, {"linger", true}, {"claim-timeout", true},
           {"keepalive", true}, {"ca", true}},
          run};
}

}  // namespace relay::cli
