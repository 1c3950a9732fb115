// Shared pieces of the relay-cli tests: the binary's path, a temporary
// folder per test, and running the CLI to completion.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

#include "child_process.hpp"
#include "conformance.hpp"
#include "helpers.hpp"

namespace relay::test {

inline std::string cli_path() { return (bin_dir() / "relay-cli").string(); }

/// relay-cli with `args`, run to completion (bounded by `timeout`).
inline run_result cli(std::vector<std::string> args, std::chrono::milliseconds timeout = 20s,
                      const std::string& stdin_text = {}) {
  args.insert(args.begin(), cli_path());
  return run_program(args, timeout, stdin_text);
}

/// A fresh folder under the system temp dir, removed with its contents.
class temp_dir {
 public:
  temp_dir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("relay-cli-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline protocol::byte_vector read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_bytes(const std::string& path, const protocol::byte_vector& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

/// Creates a key with `relay-cli keygen` and returns its fingerprint hex.
inline std::string cli_keygen(const std::string& path, const std::string& algorithm = "ed25519") {
  auto r = cli({"keygen", "--algorithm", algorithm, "--out", path, "--json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto at = r.out.find("\"fingerprint\":\"");
  REQUIRE(at != std::string::npos);
  return r.out.substr(at + 15, 64);
}

}  // namespace relay::test
