#include "relay/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace relay::log {

namespace {
std::atomic<int> min_level{static_cast<int>(level::info)};
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

void write(level lvl, const std::string& line) {
  using namespace std::chrono;
  auto now = system_clock::now();
  auto secs = system_clock::to_time_t(now);
  auto millis = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[64];
  std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(millis));
  std::lock_guard<std::mutex> guard{write_mutex};
  std::fprintf(stderr, "%s %-5s %s\n", stamp, name_of(lvl), line.c_str());
  std::fflush(stderr);
}

}  // namespace relay::log
