// relay-cli listen: get a rendezvous code for a peer, then print every
// message that arrives until a signal, --count or --timeout.
#include <variant>

#include "../exit_codes.hpp"
#include "../session.hpp"
#include "commands.hpp"

namespace relay::cli {

namespace {

int run(const args& a, context& ctx) {
  auto count = a.count("count");
  auto run_for = a.seconds("timeout", client::forever);
  auto keepalive = a.seconds("keepalive", std::chrono::seconds(30));
  std::stop_source stop;
  ctx.signals.take_over(stop);

  auto c = open_session(a);
  c->enable_keepalive(keepalive);
  auto code = c->get_rendezvous(connect_timeout);
  ctx.out.emit("code: " + code, json_object{}.str("event", "code").str("code", code));

  long received = 0;
  auto end = c->run_events(
    [&](const protocol::message& msg) {
      auto* s = std::get_if<protocol::send>(&msg);
      if (s == nullptr) return;  // codes and identity infos for our other devices
      ctx.out.message(*s);
      if (count && ++received >= *count) stop.request_stop();
    },
    stop.get_token(), run_for);
  c->close_gracefully(std::chrono::seconds(1));
  if (end == client::run_end::timed_out && count)
    throw exit_error(exit_no_answer, "received " + std::to_string(received) + " of " + std::to_string(*count) +
                                       " messages before --timeout");
  return exit_ok;
}

}  // namespace

command listen_command() {
  return {"listen", "print a rendezvous code, then every message received",
          "Usage: relay-cli listen --url URL --key FILE [--count N] [--timeout SECONDS]\n"
          "                        [--keepalive SECONDS] [--ca FILE] [--json]\n"
          "\n"
          "Authenticates, asks the relay for a one-time rendezvous code and prints\n"
          "it (\"code: ABC-DEF-GHI\"); a peer claims it with `relay-cli connect`.\n"
          "Then prints every message received as \"<short fingerprint>: <text>\"\n"
          "(\"<short fingerprint> (hex): <hex>\" when the payload is not printable\n"
          "UTF-8). Runs until SIGINT/SIGTERM (exit 0), N messages, or the timeout.\n"
          "\n"
          "  --url URL          relay address, ws://HOST:PORT or wss://HOST[:PORT]\n"
          "  --ca FILE          wss:// only: PEM CA certificate(s) to trust instead\n"
          "                     of the system's (e.g. a test CA)\n"
          "  --key FILE         identity key file\n"
          "  --count N          exit 0 after N messages\n"
          "  --timeout SECONDS  stop after this long (exit 0; exit 4 if --count\n"
          "                     messages did not all arrive)\n"
          "  --keepalive SECONDS  ping interval so the relay's idle timeout never\n"
          "                     fires (default 30; 0 turns pings off)\n"
          "  --json             one object per line: {\"event\":\"code\",\"code\":..},\n"
          "                     {\"event\":\"message\",\"source\":<hex>,\"payload_text\":<string\n"
          "                     or null if not UTF-8>,\"payload_hex\":..}\n",
          {{"url", true}, {"key", true}, {"count", true}, {"timeout", true}, {"keepalive", true}, {"ca", true}},
          run};
}

}  // namespace relay::cli
