// What relay-cli prints on stdout: human-readable lines by default, one
// JSON object per line with --json. Every line is flushed at once, because
// scripts and tests read the output of a running listener through a pipe.
// Thread-safe: `connect` prints from its receiving thread.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "relay/protocol/messages.hpp"

namespace relay::cli {

/// A flat JSON object built field by field, written in insertion order.
class json_object {
 public:
  json_object& str(const std::string& key, const std::string& value);
  json_object& num(const std::string& key, long long value);
  json_object& null(const std::string& key);
  std::string text() const;

 private:
  std::vector<std::pair<std::string, std::string>> fields_;  // key, encoded value
};

/// JSON string literal of `s` (which must be valid UTF-8).
std::string json_quote(const std::string& s);

/// Valid UTF-8 without control characters (tab allowed): safe to show as
/// one line of text.
bool is_printable_text(const protocol::byte_vector& bytes);

class output {
 public:
  explicit output(bool json) : json_(json) {}
  bool json() const { return json_; }

  /// One line, printed whole and flushed.
  void line(const std::string& text);
  /// `human` in human mode, `obj` in --json mode.
  void emit(const std::string& human, const json_object& obj);

  /// A received Send: "<short fp>: <text>" (or "<short fp> (hex): <hex>"),
  /// or {"event":"message","source":..,"payload_text":..,"payload_hex":..}.
  void message(const protocol::send& msg);

 private:
  bool json_;
  std::mutex mutex_;
};

}  // namespace relay::cli
