#include "relay/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace relay::log {

namespace {
std::atomic<int> min_level{static_cast<int>(level::info)};
std::atomic<int> line_format{static_cast<int>(format::text)};
std::mutex write_mutex;

const char* name_of(level lvl) noexcept {
  switch (lvl) {
    case level::debug: return "debug";
    case level::info: return "info";
    case level::warn: return "warn";
    case level::error: return "error";
    default: return "off";
  }
}

std::string timestamp() {
  using namespace std::chrono;
  auto now = system_clock::now();
  auto secs = system_clock::to_time_t(now);
  auto millis = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[64];
  std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(millis));
  return stamp;
}

void append_hex_escape(std::string& out, unsigned char c) {
  static const char digits[] = "0123456789abcdef";
  out += "\\u00";
  out += digits[c >> 4];
  out += digits[c & 0xf];
}

// JSON string body: every byte that is not printable ASCII is escaped, so a
// line is valid JSON whatever bytes a value holds.
void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c >= 0x7f) append_hex_escape(out, c);
        else out += static_cast<char>(c);
    }
  }
  out += '"';
}

// key=value: bare when the value is a plain token, else quoted with the
// same escapes as JSON (so one line stays one line).
void append_text_value(std::string& out, std::string_view v) {
  bool bare = !v.empty();
  for (unsigned char c : v)
    if (c <= 0x20 || c >= 0x7f || c == '"' || c == '=' || c == '\\') bare = false;
  if (bare) out += v;
  else append_json_string(out, v);
}

// One write(2) per line: stderr is unbuffered, so the newline goes in the
// same fwrite as the text.
void emit(std::string line) {
  line += '\n';
  std::lock_guard<std::mutex> guard{write_mutex};
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

std::string build(format f, std::string_view ts, level lvl, std::string_view first_key,
                  std::string_view first_value, std::initializer_list<field> fields) {
  std::string out;
  out.reserve(96);
  auto add = [&](std::string_view key, std::string_view value, bool number) {
    if (f == format::json) {
      if (out.size() > 1) out += ',';
      append_json_string(out, key);
      out += ':';
      if (number) out += value;
      else append_json_string(out, value);
    } else {
      if (!out.empty()) out += ' ';
      out += key;
      out += '=';
      append_text_value(out, value);
    }
  };
  if (f == format::json) out += '{';
  add("ts", ts, false);
  add("level", name_of(lvl), false);
  add(first_key, first_value, false);
  for (const auto& fl : fields) add(fl.key, fl.value, fl.number);
  if (f == format::json) out += '}';
  return out;
}
}  // namespace

void set_level(level min) noexcept { min_level.store(static_cast<int>(min)); }

level current_level() noexcept { return static_cast<level>(min_level.load(std::memory_order_relaxed)); }

bool parse_level(const std::string& text, level& out) noexcept {
  for (auto lvl : {level::debug, level::info, level::warn, level::error, level::off}) {
    if (text == name_of(lvl)) {
      out = lvl;
      return true;
    }
  }
  return false;
}

void set_format(format f) noexcept { line_format.store(static_cast<int>(f)); }

format current_format() noexcept { return static_cast<format>(line_format.load(std::memory_order_relaxed)); }

bool parse_format(const std::string& text, format& out) noexcept {
  if (text == "text") out = format::text;
  else if (text == "json") out = format::json;
  else return false;
  return true;
}

std::string format_line(format f, std::string_view ts, level lvl, std::string_view event_name,
                        std::initializer_list<field> fields) {
  return build(f, ts, lvl, "event", event_name, fields);
}

void event(level lvl, std::string_view name, std::initializer_list<field> fields) {
  if (!enabled(lvl) || lvl == level::off) return;
  emit(build(current_format(), timestamp(), lvl, "event", name, fields));
}

void write(level lvl, const std::string& line) {
  if (lvl == level::off) return;
  emit(build(current_format(), timestamp(), lvl, "msg", line, {}));
}

}  // namespace relay::log
