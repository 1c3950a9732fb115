// relay-cli keygen: a fresh identity key file in the reference's format.
#include "commands.hpp"

#include "relay/client/key_file.hpp"

namespace relay::cli {

namespace {

int run(const args& a, context& ctx) {
  auto out_file = a.require("out");
  auto name = a.get("algorithm").value_or("ed25519");
  protocol::key_algorithm alg;
  if (name == "ed25519") alg = protocol::key_algorithm::ed25519;
  else if (name == "ml-dsa-65") alg = protocol::key_algorithm::ml_dsa_65;
  else throw usage_error("--algorithm is ed25519 or ml-dsa-65, got '" + name + "'");

  auto key = protocol::identity_key_pair::generate(alg);
  client::save_key_file(out_file, key, a.has("force"));
  auto fp = protocol::to_hex(key.fp());
  ctx.out.emit("wrote " + name + " key to " + out_file + "\nfingerprint: " + fp,
               json_object{}.str("event", "keygen").str("algorithm", name).str("file", out_file).str("fingerprint", fp));
  return 0;
}

}  // namespace

command keygen_command() {
  return {"keygen", "create an identity key file",
          "Usage: relay-cli keygen [--algorithm ed25519|ml-dsa-65] --out FILE [--force] [--json]\n"
          "\n"
          "Creates a fresh identity key and writes it to FILE (mode 0600) in the\n"
          "reference's key-file format (COSE key with the 32-byte seed), so the\n"
          "Rust tools load it too. Prints the identity's fingerprint.\n"
          "\n"
          "  --algorithm ALG  ed25519 (default) or ml-dsa-65 (post-quantum)\n"
          "  --out FILE       where to write the key\n"
          "  --force          replace FILE if it exists (otherwise: exit 1)\n"
          "  --json           print {\"event\":\"keygen\",\"algorithm\":..,\"file\":..,\"fingerprint\":..}\n",
          {{"algorithm", true}, {"out", true}, {"force", false}},
          run};
}

}  // namespace relay::cli
