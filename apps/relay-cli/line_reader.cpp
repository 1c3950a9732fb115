#include "line_reader.hpp"

#include <poll.h>
#include <unistd.h>

#include <cerrno>

namespace relay::cli {

namespace {
constexpr std::size_t max_line = 1024 * 1024;
}  // namespace

line_reader::status line_reader::next(std::string& line, std::chrono::milliseconds timeout) {
  auto take = [&](std::size_t end, std::size_t skip) {
    line = buffer_.substr(0, end);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    buffer_.erase(0, end + skip);
    return status::line;
  };
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (auto nl = buffer_.find('\n'); nl != std::string::npos) return take(nl, 1);
    // Bounded memory whatever arrives: an endless line goes out in pieces.
    if (buffer_.size() >= max_line) return take(max_line, 0);
    if (eof_) {
      if (buffer_.empty()) return status::eof;
      return take(buffer_.size(), 0);
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return status::timeout;
    pollfd p{fd_, POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno != EINTR) {
      eof_ = true;  // an unreadable stdin ends the input like EOF
      continue;
    }
    if (ready <= 0) continue;
    char chunk[4096];
    auto n = ::read(fd_, chunk, sizeof chunk);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) eof_ = true;
    else buffer_.append(chunk, static_cast<std::size_t>(n));
  }
}

}  // namespace relay::cli
