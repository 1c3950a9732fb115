#include "cluster_handshake.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <memory>
#include <stdexcept>

namespace relay::net::cluster_handshake {

namespace {

const std::string prefix = "relay-cluster";

std::string hex(const unsigned char* data, std::size_t size) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out.push_back(digits[data[i] >> 4]);
    out.push_back(digits[data[i] & 0xf]);
  }
  return out;
}

std::string start(const char* verb) {
  return prefix + " " + std::to_string(cluster_protocol_version) + " " + verb;
}

std::vector<std::string> names_of(X509* cert) {
  std::vector<std::string> out;
  if (!cert) return out;
  if (auto* subject = X509_get_subject_name(cert)) {
    int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
    if (index >= 0) {
      auto* entry = X509_NAME_get_entry(subject, index);
      unsigned char* utf8 = nullptr;
      int size = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(entry));
      if (size > 0) out.emplace_back(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(size));
      OPENSSL_free(utf8);
    }
  }
  auto* sans = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (sans) {
    for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
      auto* name = sk_GENERAL_NAME_value(sans, i);
      if (name->type != GEN_DNS) continue;
      auto* data = ASN1_STRING_get0_data(name->d.dNSName);
      auto size = ASN1_STRING_length(name->d.dNSName);
      if (data && size > 0) out.emplace_back(reinterpret_cast<const char*>(data), static_cast<std::size_t>(size));
    }
    GENERAL_NAMES_free(sans);
  }
  return out;
}

}  // namespace

std::optional<line> parse(const std::string& text) {
  if (text.size() > max_handshake_line) return std::nullopt;
  for (char c : text)
    if (c < 0x20 || c > 0x7e) return std::nullopt;
  std::vector<std::string> parts;
  std::size_t at = 0;
  while (at <= text.size()) {
    auto space = text.find(' ', at);
    if (space == std::string::npos) space = text.size();
    if (space == at) return std::nullopt;  // empty word: double or edge space
    parts.push_back(text.substr(at, space - at));
    at = space + 1;
  }
  if (parts.size() < 3 || parts[0] != prefix) return std::nullopt;
  const auto& v = parts[1];
  if (v.empty() || v.size() > 6) return std::nullopt;
  if (v.size() > 1 && v[0] == '0') return std::nullopt;  // one spelling per version
  unsigned version = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return std::nullopt;
    version = version * 10 + static_cast<unsigned>(c - '0');
  }
  line out;
  out.version = version;
  out.verb = parts[2];
  out.words.assign(parts.begin() + 3, parts.end());
  return out;
}

bool valid_name(const std::string& name) {
  if (name.empty() || name.size() > max_name_size) return false;
  for (char c : name)
    if (c <= 0x20 || c > 0x7e) return false;
  return true;
}

std::string hello(const std::string& name, const std::string& nonce) { return start("hello") + " " + name + " " + nonce + "\n"; }

std::string welcome(const std::string& name, const std::string& nonce) {
  return start("welcome") + " " + name + " " + nonce + "\n";
}

std::string proof(const std::string& proof) { return start("proof") + " " + proof + "\n"; }

std::string ok(const std::string& proof) { return start("ok") + " " + proof + "\n"; }

std::string refused(const std::string& reason) { return start("refused") + " " + reason + "\n"; }

std::string make_nonce() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("no random bytes for a cluster nonce");
  return hex(bytes, sizeof bytes);
}

std::string make_proof(const std::string& secret, const char* role, const std::string& dialer_nonce,
                       const std::string& acceptor_nonce, const std::string& dialer_name,
                       const std::string& acceptor_name) {
  if (secret.empty()) return "-";
  auto text = prefix + " " + std::to_string(cluster_protocol_version) + " " + role + " " + dialer_nonce + " " +
              acceptor_nonce + " " + dialer_name + " " + acceptor_name;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (!HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
            reinterpret_cast<const unsigned char*>(text.data()), text.size(), mac, &size))
    throw std::runtime_error("HMAC-SHA256 failed");
  return hex(mac, size);
}

bool proofs_equal(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::vector<std::string> certificate_names(SSL* ssl) {
  X509* cert = SSL_get1_peer_certificate(ssl);
  auto out = names_of(cert);
  X509_free(cert);
  return out;
}

std::vector<std::string> certificate_file_names(const std::string& pem_file) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(pem_file.c_str(), "r"), &std::fclose);
  if (!file) return {};
  X509* cert = PEM_read_X509(file.get(), nullptr, nullptr, nullptr);
  auto out = names_of(cert);
  X509_free(cert);
  return out;
}

}  // namespace relay::net::cluster_handshake
