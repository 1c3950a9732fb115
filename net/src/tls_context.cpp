#include "tls_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace relay::net {

namespace {

// The OpenSSL reason for a failed load (the error queue is cleared), or
// the asio message when the queue is empty.
std::string reason(const error_code& ec) {
  std::string text;
  while (auto e = ERR_get_error()) {
    const char* r = ERR_reason_error_string(e);
    if (!text.empty()) text += "; ";
    text += r ? r : "error " + std::to_string(e);
  }
  if (text.empty()) text = ec ? ec.message() : "unknown error";
  return text;
}

void require_readable(const std::string& what, const std::string& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read TLS " + what + " '" + file + "': " + std::strerror(errno));
}

}  // namespace

std::shared_ptr<ssl::context> make_tls_server_context(const std::string& cert_file, const std::string& key_file) {
  require_readable("certificate", cert_file);
  require_readable("key", key_file);
  ERR_clear_error();
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                   ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  error_code ec;
  ctx->use_certificate_chain_file(cert_file, ec);
  if (ec) throw std::runtime_error("invalid TLS certificate '" + cert_file + "': " + reason(ec));
  ctx->use_private_key_file(key_file, ssl::context::pem, ec);
  if (ec) {
    throw std::runtime_error("invalid TLS key '" + key_file + "' (or it does not match '" + cert_file +
                             "'): " + reason(ec));
  }
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1)
    throw std::runtime_error("TLS key '" + key_file + "' does not match certificate '" + cert_file + "': " +
                             reason({}));
  return ctx;
}

}  // namespace relay::net
