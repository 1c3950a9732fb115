// A program running beside the test (e.g. a `relay-cli listen`), whose
// stdout is read line by line while it runs and whose stdin can be fed and
// closed. Every read and wait takes a timeout; the destructor kills and
// reaps a child that is still running.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace relay::test {

class child_process {
 public:
  /// Starts argv[0] (a path) with pipes on stdin, stdout and stderr.
  explicit child_process(const std::vector<std::string>& argv);
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  /// The next stdout line (without "\n"); nullopt on timeout or at EOF.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout);
  /// Writes to the child's stdin.
  void write_stdin(const std::string& text);
  /// Closes the child's stdin (EOF for it).
  void close_stdin();
  /// Sends `sig`.
  void signal(int sig);
  /// Waits for the exit; exit status (or -signal), nullopt on timeout.
  /// Output that arrives meanwhile is kept for read_line()/err().
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  /// Everything the child wrote to stderr so far.
  const std::string& err();
  /// stdout received but not yet returned by read_line().
  const std::string& pending_out() const { return out_; }

 private:
  // Reads whatever is available on stdout/stderr, waiting at most `wait`.
  void pump(std::chrono::milliseconds wait);

  pid_t pid_ = -1;
  int in_ = -1, out_fd_ = -1, err_fd_ = -1;
  std::string out_, err_;
  std::optional<int> status_;
};

}  // namespace relay::test
