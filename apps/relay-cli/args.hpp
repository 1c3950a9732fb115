// Command-line flags of one relay-cli subcommand: `--name value`,
// `--name=value` and boolean `--name`. Anything unexpected (unknown flag,
// missing value, repeated flag, stray argument) is a usage_error, which the
// CLI turns into exit status 2.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace relay::cli {

class usage_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct flag_spec {
  std::string name;   ///< without the leading dashes
  bool takes_value;   ///< false: a boolean switch
};

class args {
 public:
  /// Parses `argv` (the words after the subcommand) against `specs`.
  static args parse(const std::vector<std::string>& argv, const std::vector<flag_spec>& specs);

  bool has(const std::string& name) const { return values_.count(name) != 0; }
  std::optional<std::string> get(const std::string& name) const;
  /// The value of a flag that must be given.
  std::string require(const std::string& name) const;
  /// A non-negative number of seconds (fractions allowed), or `fallback`.
  std::chrono::milliseconds seconds(const std::string& name, std::chrono::milliseconds fallback) const;
  /// A positive integer, or nullopt when absent.
  std::optional<long> count(const std::string& name) const;

 private:
  std::map<std::string, std::string> values_;
};

}  // namespace relay::cli
