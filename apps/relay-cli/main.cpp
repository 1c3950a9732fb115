// relay-cli: the relay's command-line client. Picks the subcommand, parses
// its flags, runs it and turns every failure into one line on stderr and
// a documented exit status (exit_codes.hpp).
#include <iostream>
#include <string>
#include <vector>

#include "commands/commands.hpp"
#include "exit_codes.hpp"
#include "relay/client/errors.hpp"
#include "relay/version.hpp"

using namespace relay::cli;

namespace {

std::vector<command> all_commands() {
  return {keygen_command(), fingerprint_command(), listen_command(), connect_command(), send_command()};
}

void print_overview(std::ostream& os) {
  os << "Usage: relay-cli COMMAND [FLAGS]     (relay-cli COMMAND --help for its flags)\n\n"
        "Commands:\n";
  for (const auto& c : all_commands()) {
    std::string name = c.name;
    os << "  " << name << std::string(13 - name.size(), ' ') << c.summary << "\n";
  }
  os << "\nrelay-cli --version prints the version and git commit.\n"
        "Every command takes --json (one JSON object per output line) and --help.\n"
        "Errors go to stderr as one line \"relay-cli COMMAND: error: ...\".\n\n"
     << exit_code_help;
}

// Runs `cmd`, mapping each kind of failure to its exit status. The most
// specific exception types come first (auth_error is a closed_error).
int run_command(const command& cmd, const args& a, context& ctx) {
  auto fail = [&](int code, const std::string& what) {
    std::cerr << "relay-cli " << cmd.name << ": error: " << what << "\n";
    if (code == exit_usage) std::cerr << "(see relay-cli " << cmd.name << " --help)\n";
    return code;
  };
  try {
    return cmd.run(a, ctx);
  } catch (const usage_error& e) {
    return fail(exit_usage, e.what());
  } catch (const exit_error& e) {
    return fail(e.code, e.what());
  } catch (const relay::client::url_error& e) {
    return fail(exit_usage, e.what());
  } catch (const relay::client::auth_error& e) {
    return fail(exit_auth_refused, e.what());
  } catch (const relay::client::timeout_error& e) {
    return fail(exit_no_answer, e.what());
  } catch (const std::exception& e) {
    return fail(exit_failure, e.what());
  }
}

}  // namespace

int main(int argc, char** argv) {
  // Before any thread exists, so every thread inherits the blocked signals.
  signal_watcher signals;
  std::vector<std::string> words(argv + 1, argv + argc);
  if (words.empty()) {
    print_overview(std::cerr);
    return exit_usage;
  }
  if (words[0] == "--version") {
    std::cout << "relay-cli " << relay::version() << " (commit " << relay::git_commit() << ")\n";
    return exit_ok;
  }
  if (words[0] == "--help" || words[0] == "-h" || words[0] == "help") {
    print_overview(std::cout);
    return exit_ok;
  }
  for (const auto& cmd : all_commands()) {
    if (words[0] != cmd.name) continue;
    std::vector<std::string> rest(words.begin() + 1, words.end());
    for (const auto& w : rest) {
      if (w == "--help" || w == "-h") {
        std::cout << cmd.help << "\n" << exit_code_help;
        return exit_ok;
      }
    }
    auto specs = cmd.flags;
    specs.push_back({"json", false});
    args parsed;
    try {
      parsed = args::parse(rest, specs);
    } catch (const usage_error& e) {
      std::cerr << "relay-cli " << cmd.name << ": error: " << e.what() << "\n(see relay-cli " << cmd.name
                << " --help)\n";
      return exit_usage;
    }
    output out{parsed.has("json")};
    context ctx{out, signals};
    return run_command(cmd, parsed, ctx);
  }
  std::cerr << "relay-cli: error: unknown command '" << words[0] << "'\n(see relay-cli --help)\n";
  return exit_usage;
}
