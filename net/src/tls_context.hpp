// The listener's TLS context (wss://), built from PEM files.
#pragma once

#include <memory>
#include <string>

#include "asio.hpp"

namespace relay::net {

/// A server-side context (TLS 1.2 or newer) with the certificate chain in
/// `cert_file` and the private key in `key_file`. Throws std::runtime_error
/// naming the file when one cannot be read or parsed, or when the key does
/// not belong to the certificate.
std::shared_ptr<ssl::context> make_tls_server_context(const std::string& cert_file, const std::string& key_file);

}  // namespace relay::net
