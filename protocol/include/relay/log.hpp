// A minimal line logger shared by every part of the relay. One call writes
// one whole line to stderr (lines never interleave). Never pass payloads.
#pragma once

#include <sstream>
#include <string>

namespace relay::log {

enum class level : int { debug = 0, info = 1, warn = 2, error = 3, off = 4 };

/// Lines below `min` are dropped. Default: info.
void set_level(level min) noexcept;
level current_level() noexcept;
/// Parses "debug", "info", "warn", "error" or "off".
bool parse_level(const std::string& text, level& out) noexcept;

void write(level lvl, const std::string& line);

inline bool enabled(level lvl) noexcept { return lvl >= current_level(); }

}  // namespace relay::log

// Streams arguments into one line only when the level is enabled, so a
// disabled debug line costs a single comparison.
#define RELAY_LOG(lvl, expr)                                   \
  do {                                                         \
    if (::relay::log::enabled(::relay::log::level::lvl)) {     \
      std::ostringstream relay_log_line_;                      \
      relay_log_line_ << expr;                                 \
      ::relay::log::write(::relay::log::level::lvl, relay_log_line_.str()); \
    }                                                          \
  } while (false)
