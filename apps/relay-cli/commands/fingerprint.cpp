// relay-cli fingerprint: the address (SHA-256 of the public key) of a key file.
#include "commands.hpp"

#include "relay/client/key_file.hpp"

namespace relay::cli {

namespace {

int run(const args& a, context& ctx) {
  auto key = client::load_key_file(a.require("key"));
  auto fp = protocol::to_hex(key.fp());
  // Human output is the bare hex so that FP=$(relay-cli fingerprint ...) works.
  ctx.out.emit(fp, json_object{}
                     .str("event", "fingerprint")
                     .str("algorithm", client::algorithm_name(key.algorithm()))
                     .str("fingerprint", fp)
                     .str("short", protocol::short_hex(key.fp())));
  return 0;
}

}  // namespace

command fingerprint_command() {
  return {"fingerprint", "print the fingerprint of a key file",
          "Usage: relay-cli fingerprint --key FILE [--json]\n"
          "\n"
          "Prints the identity's fingerprint (SHA-256 of the public key, 64 hex\n"
          "digits): the address other peers send to with `relay-cli send --to`.\n"
          "\n"
          "  --key FILE  identity key file (from keygen or the reference's tools)\n"
          "  --json      print {\"event\":\"fingerprint\",\"algorithm\":..,\"fingerprint\":..,\"short\":..}\n",
          {{"key", true}},
          run};
}

}  // namespace relay::cli
