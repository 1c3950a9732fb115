#include "output.hpp"

#include <cstdio>

#include "relay/protocol/utf8.hpp"

namespace relay::cli {

json_object& json_object::str(const std::string& key, const std::string& value) {
  fields_.emplace_back(key, json_quote(value));
  return *this;
}

json_object& json_object::num(const std::string& key, long long value) {
  fields_.emplace_back(key, std::to_string(value));
  return *this;
}

json_object& json_object::null(const std::string& key) {
  fields_.emplace_back(key, "null");
  return *this;
}

std::string json_object::text() const {
  std::string out = "{";
  for (std::size_t i = 0; i < fields_.size(); ++i) {
    if (i) out += ',';
    out += json_quote(fields_[i].first);
    out += ':';
    out += fields_[i].second;
  }
  return out + "}";
}

std::string json_quote(const std::string& s) {
  static const char* hex = "0123456789abcdef";
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 0xf];
        } else {
          out += static_cast<char>(c);  // UTF-8 passes through: JSON is UTF-8
        }
    }
  }
  return out + "\"";
}

bool is_printable_text(const protocol::byte_vector& bytes) {
  if (!protocol::valid_utf8(bytes)) return false;
  for (auto c : bytes)
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  return true;
}

void output::line(const std::string& text) {
  std::lock_guard<std::mutex> guard{mutex_};
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

void output::emit(const std::string& human, const json_object& obj) { line(json_ ? obj.text() : human); }

void output::message(const protocol::send& msg) {
  protocol::fingerprint source = msg.source.value_or(protocol::fingerprint{});
  auto hex = protocol::to_hex(msg.payload);
  if (json_) {
    json_object obj;
    obj.str("event", "message").str("source", protocol::to_hex(source));
    if (protocol::valid_utf8(msg.payload)) obj.str("payload_text", std::string(msg.payload.begin(), msg.payload.end()));
    else obj.null("payload_text");
    obj.str("payload_hex", hex);
    line(obj.text());
  } else if (is_printable_text(msg.payload)) {
    line(protocol::short_hex(source) + ": " + std::string(msg.payload.begin(), msg.payload.end()));
  } else {
    line(protocol::short_hex(source) + " (hex): " + hex);
  }
}

}  // namespace relay::cli
