// The client address a trusted reverse proxy reports in X-Forwarded-For.
#pragma once

#include <string_view>

namespace relay::net {

/// The last entry of an X-Forwarded-For value, without surrounding spaces
/// and tabs: the address the proxy itself saw. Entries before it are the
/// client's own claims and cannot be trusted. Empty when the last entry is.
inline std::string_view last_forwarded_for(std::string_view header) noexcept {
  auto comma = header.rfind(',');
  auto last = comma == std::string_view::npos ? header : header.substr(comma + 1);
  auto first = last.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  auto end = last.find_last_not_of(" \t");
  return last.substr(first, end - first + 1);
}

}  // namespace relay::net
