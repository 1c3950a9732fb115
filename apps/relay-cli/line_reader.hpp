// Line-by-line reading of a file descriptor (stdin for `connect`) with a
// timeout per call, so the caller can also notice a closed connection or a
// signal while the user types nothing.
#pragma once

#include <chrono>
#include <string>

namespace relay::cli {

class line_reader {
 public:
  enum class status { line, eof, timeout };

  explicit line_reader(int fd) : fd_(fd) {}

  /// The next line without its "\n" (and without a "\r" before it). At end
  /// of input a last line without "\n" is still returned, then eof. A line
  /// longer than 1 MiB is returned in 1 MiB pieces (bounded memory).
  status next(std::string& line, std::chrono::milliseconds timeout);

 private:
  int fd_;
  std::string buffer_;
  bool eof_ = false;
};

}  // namespace relay::cli
