// ws:// and wss:// URL parsing for the client.
#pragma once

#include <optional>
#include <string>

namespace relay::client {

struct ws_url {
  bool tls = false;         ///< wss://
  std::string host;         ///< for name resolution ("::1" without brackets)
  std::string port;         ///< "80" (ws) or "443" (wss) when absent
  std::string host_header;  ///< Host header value ("[::1]:8080")
  std::string target;       ///< request path, "/" when absent
};

/// Parses ws://HOST[:PORT][/path] or wss://...; nullopt when malformed or
/// another scheme.
std::optional<ws_url> parse_ws_url(const std::string& url);

}  // namespace relay::client
