// The relay-cli subcommands. Each lives in its own file and is described by
// a `command`: its name, help text, flags and the function that runs it.
// main() adds --help and --json to every command, parses the flags and maps
// exceptions to exit codes (exit_codes.hpp), so a command only does its job.
#pragma once

#include <vector>

#include "../args.hpp"
#include "../output.hpp"
#include "../signals.hpp"

namespace relay::cli {

struct context {
  output& out;
  signal_watcher& signals;
};

struct command {
  const char* name;
  const char* summary;  ///< one line for `relay-cli --help`
  const char* help;     ///< usage and flags for `relay-cli NAME --help`
  std::vector<flag_spec> flags;
  int (*run)(const args&, context&);
};

command keygen_command();
command fingerprint_command();
command listen_command();
command connect_command();
command send_command();

}  // namespace relay::cli
