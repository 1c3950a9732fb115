// A minimal structured line logger shared by every part of the relay. One
// call writes one whole line to stderr (lines never interleave), either as
// key=value pairs (text) or as one JSON object (json). Never pass payloads
// or full rendezvous codes; shorten fingerprints (protocol::short_hex).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>

namespace relay::log {

enum class level : int { debug = 0, info = 1, warn = 2, error = 3, off = 4 };
enum class format : int { text = 0, json = 1 };

/// Lines below `min` are dropped. Default: info.
void set_level(level min) noexcept;
level current_level() noexcept;
/// Parses "debug", "info", "warn", "error" or "off".
bool parse_level(const std::string& text, level& out) noexcept;

/// text (default): `ts=... level=info event=authenticated peer=... fp=...`;
/// json: `{"ts":"...","level":"info","event":"authenticated",...}`.
void set_format(format f) noexcept;
format current_format() noexcept;
/// Parses "text" or "json".
bool parse_format(const std::string& text, format& out) noexcept;

/// One key/value of a structured line. Numbers stay numbers in JSON.
struct field {
  field(std::string_view k, std::string v) : key(k), value(std::move(v)) {}
  field(std::string_view k, std::string_view v) : key(k), value(v) {}
  field(std::string_view k, const char* v) : key(k), value(v ? v : "") {}
  template <class Int, std::enable_if_t<std::is_integral_v<Int> && !std::is_same_v<Int, bool>, int> = 0>
  field(std::string_view k, Int v) : key(k), value(std::to_string(v)), number(true) {}
  field(std::string_view k, bool v) : key(k), value(v ? "true" : "false"), number(true) {}

  std::string_view key;
  std::string value;
  bool number = false;  ///< unquoted in JSON
};

/// Writes `event=<name>` plus `fields` (if `lvl` is enabled).
void event(level lvl, std::string_view name, std::initializer_list<field> fields = {});

/// Writes a free-form line as `msg="<line>"` (what RELAY_LOG uses).
void write(level lvl, const std::string& line);

/// The formatted line (without the newline) that event() would write at
/// `ts`; exposed for tests.
std::string format_line(format f, std::string_view ts, level lvl, std::string_view event_name,
                        std::initializer_list<field> fields);

inline bool enabled(level lvl) noexcept { return lvl >= current_level(); }

}  // namespace relay::log

// Streams arguments into one line only when the level is enabled, so a
// disabled debug line costs a single comparison. The line becomes msg="...".
#define RELAY_LOG(lvl, expr)                                   \
  do {                                                         \
    if (::relay::log::enabled(::relay::log::level::lvl)) {     \
      std::ostringstream relay_log_line_;                      \
      relay_log_line_ << expr;                                 \
      ::relay::log::write(::relay::log::level::lvl, relay_log_line_.str()); \
    }                                                          \
  } while (false)
