#include "url.hpp"

namespace relay::client {

std::optional<ws_url> parse_ws_url(const std::string& url) {
  ws_url out;
  out.tls = url.rfind("wss://", 0) == 0;
  if (!out.tls && url.rfind("ws://", 0) != 0) return std::nullopt;
  auto rest = url.substr(out.tls ? 6 : 5);
  const std::string default_port = out.tls ? "443" : "80";
  auto slash = rest.find('/');
  out.target = slash == std::string::npos ? "/" : rest.substr(slash);
  auto authority = rest.substr(0, slash);
  if (authority.empty()) return std::nullopt;
  out.host_header = authority;
  if (authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string::npos) return std::nullopt;
    out.host = authority.substr(1, close - 1);
    auto after = authority.substr(close + 1);
    if (after.empty()) out.port = default_port;
    else if (after.front() == ':' && after.size() > 1) out.port = after.substr(1);
    else return std::nullopt;
  } else {
    auto colon = authority.rfind(':');
    out.host = authority.substr(0, colon);
    out.port = colon == std::string::npos ? default_port : authority.substr(colon + 1);
  }
  if (out.host.empty() || out.port.empty()) return std::nullopt;
  for (char c : out.port)
    if (c < '0' || c > '9') return std::nullopt;
  return out;
}

}  // namespace relay::client
