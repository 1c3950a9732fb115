#include "relay_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include <catch2/catch.hpp>

#include "conformance.hpp"

namespace relay::test {

namespace {

std::vector<char*> to_argv(std::vector<std::string>& args) {
  std::vector<char*> out;
  for (auto& a : args) out.push_back(a.data());
  out.push_back(nullptr);
  return out;
}

// Reads from `fd` until `until` appears in the accumulated text or the deadline passes.
bool read_until(int fd, std::string& acc, const std::string& until, std::chrono::steady_clock::time_point deadline) {
  while (acc.find(until) == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[4096];
    auto n = read(fd, buf, sizeof buf);
    if (n <= 0) return false;
    acc.append(buf, static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

relay_process::relay_process(std::vector<std::string> extra_args, const std::string& program,
                             const std::string& stderr_path) {
  std::vector<std::string> args{(bin_dir() / program).string(), "--listen", "127.0.0.1:0"};
  // Tests stop relays with SIGTERM and expect them gone at once; a test of
  // the drain passes its own --drain-seconds, which wins (the last one does).
  if (program == "relay") args.insert(args.end(), {"--drain-seconds", "0"});
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  int out_pipe[2];
  REQUIRE(pipe(out_pipe) == 0);
  pid_ = fork();
  REQUIRE(pid_ >= 0);
  if (pid_ == 0) {
    dup2(out_pipe[1], STDOUT_FILENO);
    close(out_pipe[0]);
    close(out_pipe[1]);
    // Keep the relay's log out of the test output unless asked for.
    if (!stderr_path.empty()) {
      int log = open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (log >= 0) dup2(log, STDERR_FILENO);
    } else if (!std::getenv("RELAY_TEST_LOGS")) {
      int devnull = open("/dev/null", O_WRONLY);
      dup2(devnull, STDERR_FILENO);
    }
    auto argv = to_argv(args);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out_pipe[1]);
  // The pipe stays open for the program's life: closing it would kill the
  // program with SIGPIPE on its next line of output.
  stdout_fd_ = out_pipe[0];
  // "listening on ws://127.0.0.1:PORT", or wss:// when TLS is on.
  std::string scheme;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    auto line = read_line(std::max(left, std::chrono::milliseconds(0)));
    INFO("stdout so far: " << pending_);
    REQUIRE(line);
    for (std::string s : {"ws", "wss"}) {
      const std::string prefix = "listening on " + s + "://127.0.0.1:";
      if (line->rfind(prefix, 0) == 0) {
        scheme = s;
        port_ = static_cast<std::uint16_t>(std::stoi(line->substr(prefix.size())));
      }
    }
    if (!scheme.empty()) break;
    startup_lines_.push_back(*line);
  }
  url_ = scheme + "://127.0.0.1:" + std::to_string(port_);
}

std::optional<std::string> relay_process::read_line(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  if (!read_until(stdout_fd_, pending_, "\n", deadline)) return std::nullopt;
  auto nl = pending_.find('\n');
  auto line = pending_.substr(0, nl);
  pending_.erase(0, nl + 1);
  return line;
}

relay_process::~relay_process() {
  if (pid_ > 0 && !exited_) {
    ::kill(pid_, SIGTERM);
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    // A sanitizer report in a process that is stopping (symbolizing a large
    // binary's stacks) takes seconds: a kill would cut it off.
    constexpr auto stop_grace = std::chrono::seconds(30);
#else
    constexpr auto stop_grace = std::chrono::seconds(5);
#endif
    if (!wait_exit(stop_grace)) {
      ::kill(pid_, SIGKILL);
      wait_exit(std::chrono::seconds(5));
    }
  }
  if (stdout_fd_ >= 0) close(stdout_fd_);
}

void relay_process::signal(int sig) { ::kill(pid_, sig); }

std::optional<int> relay_process::wait_exit(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    auto r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exited_ = true;
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      if (WIFSIGNALED(status)) return -WTERMSIG(status);
      return -1;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

long relay_process::rss_kib() const {
  std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

run_result run_program(const std::vector<std::string>& argv_in, std::chrono::milliseconds timeout,
                       const std::string& stdin_text) {
  run_result result;
  int in_pipe[2], out_pipe[2], err_pipe[2];
  REQUIRE(pipe(in_pipe) == 0);
  REQUIRE(pipe(out_pipe) == 0);
  REQUIRE(pipe(err_pipe) == 0);
  auto args = argv_in;
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    dup2(in_pipe[0], STDIN_FILENO);
    dup2(out_pipe[1], STDOUT_FILENO);
    dup2(err_pipe[1], STDERR_FILENO);
    for (int fd : {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) close(fd);
    auto argv = to_argv(args);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (!stdin_text.empty()) {
    auto ignored = write(in_pipe[1], stdin_text.data(), stdin_text.size());
    (void)ignored;
  }
  close(in_pipe[1]);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  while (open_fds > 0 && std::chrono::steady_clock::now() < deadline) {
    if (poll(fds, 2, 50) <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      char buf[4096];
      auto n = read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      } else {
        (i == 0 ? result.out : result.err).append(buf, static_cast<std::size_t>(n));
      }
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0) close(f.fd);
  int status = 0;
  for (;;) {
    auto r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return result;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace relay::test
