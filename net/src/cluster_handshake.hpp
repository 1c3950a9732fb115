// The cluster gate's handshake: the lines two nodes exchange on a new
// cluster connection (inside TLS when the cluster has certificates) before
// a single byte reaches CAF's middleman. Text lines, each at most
// max_handshake_line bytes, strictly parsed:
//
//   dialer   -> acceptor  relay-cluster <version> hello <name> <nonce>
//   acceptor -> dialer    relay-cluster <version> welcome <name> <nonce>
//   dialer   -> acceptor  relay-cluster <version> proof <proof>
//   acceptor -> dialer    relay-cluster <version> ok <proof>
//
// Either side may answer `relay-cluster <version> refused <reason words>`
// instead and close. Nonces are 32 random bytes in hex; a proof is the hex
// HMAC-SHA256, keyed with the cluster's shared secret, of the role, both
// nonces and both names (`-` when the cluster has no shared secret). The
// dialer proves first, so a stranger who dials learns nothing it could
// test guesses of the secret against. The version
// is cluster_protocol_version: a node speaking another one is refused before
// anything is parsed by the middleman, so a rolling upgrade cannot misparse.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <openssl/ssl.h>

namespace relay::net::cluster_handshake {

/// Bump whenever the cluster actors' messages or this handshake change.
inline constexpr unsigned cluster_protocol_version = 2;
/// A longer line (or one without its newline) is refused.
inline constexpr std::size_t max_handshake_line = 512;
inline constexpr std::size_t max_name_size = 253;

struct line {
  unsigned version = 0;
  std::string verb;                 ///< hello, welcome, proof, ok, refused
  std::vector<std::string> words;   ///< the rest, split on single spaces
};

/// Parses one line (without its '\n'). Nothing for anything that is not
/// `relay-cluster <decimal version> <verb> ...` in printable ASCII.
std::optional<line> parse(const std::string& text);

/// A node name is 1..max_name_size printable, non-space ASCII characters.
bool valid_name(const std::string& name);

std::string hello(const std::string& name, const std::string& nonce);
std::string welcome(const std::string& name, const std::string& nonce);
std::string proof(const std::string& proof);
std::string ok(const std::string& proof);
std::string refused(const std::string& reason);

/// 32 random bytes in hex.
std::string make_nonce();
/// The proof one role gives; "-" when `secret` is empty.
std::string make_proof(const std::string& secret, const char* role, const std::string& dialer_nonce,
                       const std::string& acceptor_nonce, const std::string& dialer_name,
                       const std::string& acceptor_name);
/// Constant-time comparison of a received proof with the expected one.
bool proofs_equal(const std::string& a, const std::string& b);

/// The names a peer's certificate vouches for: its subject CN and its DNS
/// subjectAltNames. Empty when the peer sent no certificate.
std::vector<std::string> certificate_names(SSL* ssl);
/// The same for a certificate file (this node's own, at startup).
std::vector<std::string> certificate_file_names(const std::string& pem_file);

}  // namespace relay::net::cluster_handshake
