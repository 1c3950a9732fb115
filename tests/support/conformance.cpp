#include "conformance.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>

namespace relay::test {

std::filesystem::path shared_dir() {
  if (const char* env = std::getenv("RELAY_SHARED_DIR"); env && *env) return env;
  return RELAY_DEFAULT_SHARED_DIR;
}

std::filesystem::path bin_dir() {
  if (const char* env = std::getenv("RELAY_BIN_DIR"); env && *env) return env;
  return RELAY_DEFAULT_BIN_DIR;
}

rapidjson::Document load_conformance(const std::string& name) {
  auto path = shared_dir() / "conformance" / name;
  std::ifstream in(path, std::ios::binary);
  INFO("conformance file " << path.string());
  REQUIRE(in.good());
  std::stringstream buffer;
  buffer << in.rdbuf();
  rapidjson::Document doc;
  doc.Parse(buffer.str().c_str(), buffer.str().size());
  REQUIRE_FALSE(doc.HasParseError());
  return doc;
}

protocol::byte_vector hex_bytes(const std::string& hex) {
  protocol::byte_vector out;
  INFO("hex " << hex);
  REQUIRE(protocol::from_hex(hex, out));
  return out;
}

const rapidjson::Value& identity_named(const rapidjson::Document& identities,
                                       const std::string& name) {
  for (const auto& id : identities["identities"].GetArray()) {
    if (name == id["name"].GetString()) return id;
  }
  FAIL("no identity named " << name);
  throw std::logic_error("unreachable");
}

}  // namespace relay::test
