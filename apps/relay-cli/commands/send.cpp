// relay-cli send: one message to a fingerprint, then a clean close.
#include <fstream>
#include <iterator>

#include "../session.hpp"
#include "commands.hpp"

namespace relay::cli {

namespace {

protocol::byte_vector read_payload_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw client::client_error("cannot read " + path);
  protocol::byte_vector bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) throw client::client_error("cannot read " + path);
  return bytes;
}

int run(const args& a, context& ctx) {
  auto to = parse_fingerprint(a.require("to"));
  if (a.has("text") == a.has("file")) throw usage_error("give exactly one of --text TEXT and --file FILE");
  protocol::byte_vector payload;
  if (auto text = a.get("text")) payload.assign(text->begin(), text->end());
  else payload = read_payload_file(*a.get("file"));

  auto c = open_session(a);
  auto size = payload.size();
  c->send_to(to, std::move(payload));
  // The close handshake completes only after the message has been written
  // and read by the relay; a relay that closes otherwise (e.g. 1009 for a
  // payload over its --max-message) is reported as a failure.
  auto closed = c->close_gracefully(connect_timeout);
  if (!closed) throw client::client_error("the relay did not confirm the close; the message may be lost");
  if (closed->code != 1000)
    throw client::closed_error("connection closed by relay: " + std::to_string(closed->code) + " " + closed->reason,
                               *closed);
  ctx.out.emit("sent " + std::to_string(size) + " bytes to " + protocol::short_hex(to),
               json_object{}
                 .str("event", "sent")
                 .str("destination", protocol::to_hex(to))
                 .num("bytes", static_cast<long long>(size)));
  return 0;
}

}  // namespace

command send_command() {
  return {"send", "send one message to a fingerprint",
          "Usage: relay-cli send --url URL --key FILE --to FPHEX (--text TEXT | --file FILE) [--ca FILE]\n"
          "                      [--json]\n"
          "\n"
          "Sends one message to every connection of the identity FPHEX and exits.\n"
          "The relay drops messages to identities that are not connected without\n"
          "telling the sender, so exit 0 means \"handed to the relay\".\n"
          "\n"
          "  --url URL     relay address, ws://HOST:PORT or wss://HOST[:PORT]\n"
          "  --ca FILE     wss:// only: PEM CA certificate(s) to trust instead of the\n"
          "                system's (e.g. a test CA)\n"
          "  --key FILE    identity key file\n"
          "  --to FPHEX    the recipient's fingerprint (64 hex digits)\n"
          "  --text TEXT   the payload as UTF-8 text\n"
          "  --file FILE   the payload: the file's bytes\n"
          "  --json        print {\"event\":\"sent\",\"destination\":..,\"bytes\":..}\n",
          {{"url", true}, {"key", true}, {"to", true}, {"text", true}, {"file", true}, {"ca", true}},
          run};
}

}  // namespace relay::cli
