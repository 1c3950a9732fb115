// libFuzzer target: the handshake lines the cluster gate reads from anyone
// who connects to a cluster port, before a single byte reaches CAF's
// middleman (net/src/cluster_handshake.hpp). The input is split into lines
// as the gate splits what it reads; each line goes through the parser.
//
// Invariants (abort on violation):
//  - nothing longer than max_handshake_line, and nothing but printable
//    ASCII, is ever accepted;
//  - an accepted line is `relay-cluster <version> <verb> <words...>` and
//    joining its parts with single spaces gives the line back exactly;
//  - a line the node itself writes (hello, welcome, proof, ok, refused)
//    ends in a newline and parses back to the same verb and words;
//  - valid_name accepts only 1..max_name_size printable non-space bytes;
//  - proofs_equal is equality.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "cluster_handshake.hpp"

namespace {

namespace hs = relay::net::cluster_handshake;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz_cluster_handshake: %s\n", what);
  std::abort();
}

void check_line(const std::string& text) {
  auto parsed = hs::parse(text);
  if (!parsed) return;
  if (text.size() > hs::max_handshake_line) fail("an over-long line was accepted");
  for (char c : text)
    if (c < 0x20 || c > 0x7e) fail("a non-printable byte was accepted");
  std::string joined = "relay-cluster " + std::to_string(parsed->version) + " " + parsed->verb;
  for (const auto& w : parsed->words) joined += " " + w;
  if (joined != text) fail("the parts do not join back into the line");
}

void check_own_lines(const std::string& word) {
  if (!hs::valid_name(word)) return;
  if (word.size() > hs::max_name_size) fail("an over-long name is valid");
  for (char c : word)
    if (c <= 0x20 || c > 0x7e) fail("a name with a blank or non-printable byte is valid");
  auto nonce = hs::make_nonce();
  struct own {
    std::string text;
    const char* verb;
  };
  for (const auto& [written, verb] : {own{hs::hello(word, nonce), "hello"}, own{hs::welcome(word, nonce), "welcome"},
                                      own{hs::proof(word), "proof"}, own{hs::ok(word), "ok"}}) {
    if (written.empty() || written.back() != '\n') fail("a line this node writes lacks its newline");
    auto text = written.substr(0, written.size() - 1);
    auto back = hs::parse(text);
    if (!back || back->verb != verb || back->version != hs::cluster_protocol_version || back->words.empty() ||
        back->words[0] != word)
      fail("a line this node writes does not parse back");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  std::size_t at = 0;
  while (at < input.size()) {
    auto nl = input.find('\n', at);
    if (nl == std::string::npos) break;  // the gate refuses a line without its newline
    auto text = input.substr(at, nl - at);
    check_line(text);
    auto space = text.rfind(' ');
    check_own_lines(space == std::string::npos ? text : text.substr(space + 1));
    at = nl + 1;
  }
  // proofs_equal is plain equality, whatever the lengths.
  auto half = input.size() / 2;
  auto a = input.substr(0, half), b = input.substr(half);
  if (hs::proofs_equal(a, b) != (a == b)) fail("proofs_equal disagrees with ==");
  if (!hs::proofs_equal(a, a)) fail("proofs_equal(a, a) is false");
  return 0;
}
