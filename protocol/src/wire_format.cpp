#include "relay/protocol/wire_format.hpp"

#include "relay/protocol/binary_codec.hpp"

namespace relay::protocol {

bool lists_subprotocol(std::string_view header, std::string_view token) noexcept {
  constexpr std::string_view blank = " \t";
  while (!header.empty()) {
    auto comma = header.find(',');
    auto item = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    auto first = item.find_first_not_of(blank);
    if (first == std::string_view::npos) continue;
    item = item.substr(first, item.find_last_not_of(blank) - first + 1);
    if (item == token) return true;  // tokens are case-sensitive (RFC 6455 4.1)
  }
  return false;
}

void encode_to(const message& msg, wire_format format, std::string& out) {
  if (format == wire_format::binary) encode_binary_to(msg, out);
  else encode_to(msg, out);
}

std::string encode(const message& msg, wire_format format) {
  std::string out;
  encode_to(msg, format, out);
  return out;
}

decode_error decode(std::string_view bytes, wire_format format, message& out) noexcept {
  return format == wire_format::binary ? decode_binary(bytes, out) : decode(bytes, out);
}

}  // namespace relay::protocol
