// Runs the real `relay` binary as a child process for end-to-end tests:
// starts it on a free loopback port, waits for "listening on", and stops
// it (SIGTERM, then SIGKILL) when the test ends. Every wait is bounded.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace relay::test {

class relay_process {
 public:
  /// Starts `bin/<program> --listen 127.0.0.1:0 <extra_args>`; fails the
  /// test if it does not report its address within 10 s.
  /// With `stderr_path`, the program's stderr goes to that file (created or
  /// truncated) instead of being discarded.
  explicit relay_process(std::vector<std::string> extra_args = {}, const std::string& program = "relay",
                         const std::string& stderr_path = {});
  ~relay_process();
  relay_process(const relay_process&) = delete;
  relay_process& operator=(const relay_process&) = delete;

  /// ws://127.0.0.1:PORT (wss:// when the relay serves TLS)
  const std::string& url() const { return url_; }
  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }

  /// Sends `sig` to the relay.
  void signal(int sig);
  /// Waits for the relay to exit; returns its exit status (or -signal), or
  /// nullopt on timeout.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  /// Resident set size in KiB from /proc (0 if gone).
  long rss_kib() const;
  /// Lines the program printed on stdout before "listening on".
  const std::vector<std::string>& startup_lines() const { return startup_lines_; }
  /// The next stdout line after "listening on"; nullopt on timeout or EOF.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string pending_;  // stdout read but not yet returned as lines
  std::vector<std::string> startup_lines_;
  bool exited_ = false;
  std::string url_;
  std::uint16_t port_ = 0;
};

/// Runs a program to completion with a timeout; returns exit code (or -1).
struct run_result {
  int exit_code = -1;
  std::string out;
  std::string err;
};
run_result run_program(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                       const std::string& stdin_text = {});

/// Seconds a relay started under `timeout -s TERM` gets to come up (install
/// its signal handlers, print its address) before the signal: an
/// instrumented (ASan/TSan) relay starts several times slower.
inline const char* relay_startup_grace_seconds() {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  return "5";
#else
  return "1";
#endif
}

}  // namespace relay::test
