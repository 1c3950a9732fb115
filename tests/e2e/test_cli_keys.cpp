// relay-cli's key files: keygen, fingerprint, and byte-exact compatibility
// with the reference's key-file format (conformance identities.json).
#include <sys/stat.h>

#include "cli_helpers.hpp"
#include "relay/client/key_file.hpp"

using namespace relay;
using namespace relay::test;

TEST_CASE("relay-cli keygen writes a 0600 key file that fingerprint reads and the library round-trips",
          "[cli][relay-cli][keys]") {
  temp_dir dir;
  for (std::string alg : {"ed25519", "ml-dsa-65"}) {
    INFO(alg);
    auto path = dir.file(alg + ".key");
    auto fp_hex = cli_keygen(path, alg);

    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);

    auto bytes = read_bytes(path);
    auto key = protocol::identity_key_pair::from_cose(bytes);
    REQUIRE(key);
    CHECK(key->algorithm() == (alg == "ed25519" ? protocol::key_algorithm::ed25519 : protocol::key_algorithm::ml_dsa_65));
    CHECK(key->to_cose() == bytes);  // re-saved byte-identical
    CHECK(protocol::to_hex(key->fp()) == fp_hex);

    auto r = cli({"fingerprint", "--key", path});
    CHECK(r.exit_code == 0);
    CHECK(r.out == fp_hex + "\n");

    auto j = cli({"fingerprint", "--key", path, "--json"});
    CHECK(j.exit_code == 0);
    CHECK(j.out == "{\"event\":\"fingerprint\",\"algorithm\":\"" + alg + "\",\"fingerprint\":\"" + fp_hex +
                     "\",\"short\":\"" + fp_hex.substr(0, 8) + "\"}\n");

    // The library's save writes the same bytes again.
    auto copy = dir.file(alg + ".copy");
    client::save_key_file(copy, client::load_key_file(path));
    CHECK(read_bytes(copy) == bytes);
  }
}

TEST_CASE("relay-cli keygen keeps an existing file unless --force", "[cli][relay-cli][keys]") {
  temp_dir dir;
  auto path = dir.file("me.key");
  auto first = cli_keygen(path);
  auto again = cli({"keygen", "--out", path});
  CHECK(again.exit_code == 1);
  CHECK(again.err.find("already exists") != std::string::npos);
  CHECK(cli({"fingerprint", "--key", path}).out == first + "\n");
  auto forced = cli({"keygen", "--out", path, "--force"});
  CHECK(forced.exit_code == 0);
  CHECK(cli({"fingerprint", "--key", path}).out != first + "\n");
}

TEST_CASE("the conformance identities' key files load in relay-cli with their fingerprints",
          "[cli][relay-cli][keys][conformance]") {
  temp_dir dir;
  auto identities = load_conformance("identities.json");
  int checked = 0;
  for (const auto& id : identities["identities"].GetArray()) {
    std::string name = id["name"].GetString();
    INFO(name);
    auto bytes = hex_bytes(id["key_file_cose_hex"].GetString());
    auto path = dir.file(name + ".key");
    write_bytes(path, bytes);

    auto r = cli({"fingerprint", "--key", path});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out == std::string(id["fingerprint_hex"].GetString()) + "\n");

    // Loading and saving again gives the reference's exact bytes.
    auto key = client::load_key_file(path);
    auto copy = dir.file(name + ".copy");
    client::save_key_file(copy, key);
    CHECK(read_bytes(copy) == bytes);
    CHECK(protocol::to_hex(key.cose_key_bytes()) == id["cose_key_hex"].GetString());
    ++checked;
  }
  CHECK(checked == 7);
}

TEST_CASE("bad key files are a clean runtime failure (exit 1)", "[cli][relay-cli][keys]") {
  temp_dir dir;
  auto missing = cli({"fingerprint", "--key", dir.file("nope.key")});
  CHECK(missing.exit_code == 1);
  CHECK(missing.err.find("cannot read key file") != std::string::npos);

  auto garbage = dir.file("garbage.key");
  write_bytes(garbage, {0xa1, 0x01, 0x02});
  auto bad = cli({"fingerprint", "--key", garbage});
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.find("not a valid identity key") != std::string::npos);

  // A key file whose public key does not match its seed.
  auto identities = load_conformance("identities.json");
  auto bytes = hex_bytes(identity_named(identities, "ed25519-1")["key_file_cose_hex"].GetString());
  bytes[12] ^= 0x01;  // inside the public key
  auto tampered = dir.file("tampered.key");
  write_bytes(tampered, bytes);
  CHECK(cli({"fingerprint", "--key", tampered}).exit_code == 1);
  CHECK_THROWS_AS(client::load_key_file(tampered), client::key_file_error);
}
