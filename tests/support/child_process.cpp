#include "child_process.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include <catch2/catch.hpp>

namespace relay::test {

using clock = std::chrono::steady_clock;

child_process::child_process(const std::vector<std::string>& argv_in) {
  // Writing to the stdin of a child that has exited must fail, not kill the test.
  ::signal(SIGPIPE, SIG_IGN);
  int in_pipe[2], out_pipe[2], err_pipe[2];
  REQUIRE(pipe(in_pipe) == 0);
  REQUIRE(pipe(out_pipe) == 0);
  REQUIRE(pipe(err_pipe) == 0);
  auto args = argv_in;
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_ = fork();
  REQUIRE(pid_ >= 0);
  if (pid_ == 0) {
    dup2(in_pipe[0], STDIN_FILENO);
    dup2(out_pipe[1], STDOUT_FILENO);
    dup2(err_pipe[1], STDERR_FILENO);
    for (int fd : {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) close(fd);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  in_ = in_pipe[1];
  out_fd_ = out_pipe[0];
  err_fd_ = err_pipe[0];
}

child_process::~child_process() {
  close_stdin();
  if (!status_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  if (out_fd_ >= 0) close(out_fd_);
  if (err_fd_ >= 0) close(err_fd_);
}

void child_process::pump(std::chrono::milliseconds wait) {
  pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
  if (out_fd_ < 0 && err_fd_ < 0) {
    std::this_thread::sleep_for(wait);
    return;
  }
  if (poll(fds, 2, static_cast<int>(wait.count())) <= 0) return;
  for (int i = 0; i < 2; ++i) {
    if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    char buf[4096];
    auto n = read(fds[i].fd, buf, sizeof buf);
    int& fd = i == 0 ? out_fd_ : err_fd_;
    if (n <= 0) {
      close(fd);
      fd = -1;
    } else {
      (i == 0 ? out_ : err_).append(buf, static_cast<std::size_t>(n));
    }
  }
}

std::optional<std::string> child_process::read_line(std::chrono::milliseconds timeout) {
  auto deadline = clock::now() + timeout;
  for (;;) {
    if (auto nl = out_.find('\n'); nl != std::string::npos) {
      auto line = out_.substr(0, nl);
      out_.erase(0, nl + 1);
      return line;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    if (left.count() <= 0 || out_fd_ < 0) return std::nullopt;
    pump(std::min(left, std::chrono::milliseconds(50)));
  }
}

void child_process::write_stdin(const std::string& text) {
  if (in_ < 0) return;
  auto ignored = write(in_, text.data(), text.size());
  (void)ignored;
}

void child_process::close_stdin() {
  if (in_ >= 0) close(in_);
  in_ = -1;
}

void child_process::signal(int sig) {
  if (!status_) ::kill(pid_, sig);
}

std::optional<int> child_process::wait_exit(std::chrono::milliseconds timeout) {
  auto deadline = clock::now() + timeout;
  while (!status_) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      status_ = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? -WTERMSIG(status) : -1;
      break;
    }
    if (clock::now() >= deadline) return std::nullopt;
    pump(std::chrono::milliseconds(10));
  }
  // Collect what is left in the pipes (bounded: the writer is gone).
  for (int i = 0; i < 100 && (out_fd_ >= 0 || err_fd_ >= 0); ++i) pump(std::chrono::milliseconds(10));
  return status_;
}

const std::string& child_process::err() {
  pump(std::chrono::milliseconds(0));
  return err_;
}

}  // namespace relay::test
