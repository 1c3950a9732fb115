#include "args.hpp"

#include <cmath>
#include <cstdlib>

namespace relay::cli {

args args::parse(const std::vector<std::string>& argv, const std::vector<flag_spec>& specs) {
  args out;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    const auto& word = argv[i];
    if (word.rfind("--", 0) != 0 || word.size() == 2) throw usage_error("unexpected argument '" + word + "'");
    auto eq = word.find('=');
    std::string name = word.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    const flag_spec* spec = nullptr;
    for (const auto& s : specs)
      if (s.name == name) spec = &s;
    if (spec == nullptr) throw usage_error("unknown flag --" + name);
    if (out.has(name)) throw usage_error("--" + name + " given twice");
    std::string value;
    if (spec->takes_value) {
      if (eq != std::string::npos) {
        value = word.substr(eq + 1);
      } else {
        if (i + 1 >= argv.size()) throw usage_error("--" + name + " needs a value");
        value = argv[++i];
      }
    } else if (eq != std::string::npos) {
      throw usage_error("--" + name + " takes no value");
    }
    out.values_[name] = value;
  }
  return out;
}

std::optional<std::string> args::get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string args::require(const std::string& name) const {
  auto v = get(name);
  if (!v || v->empty()) throw usage_error("--" + name + " is required");
  return *v;
}

std::chrono::milliseconds args::seconds(const std::string& name, std::chrono::milliseconds fallback) const {
  auto v = get(name);
  if (!v) return fallback;
  char* end = nullptr;
  double s = std::strtod(v->c_str(), &end);
  // A day is far beyond any sensible wait and keeps the conversion exact.
  if (v->empty() || *end != '\0' || !std::isfinite(s) || s < 0 || s > 86400)
    throw usage_error("--" + name + " needs a number of seconds between 0 and 86400, got '" + *v + "'");
  return std::chrono::milliseconds{static_cast<long long>(std::llround(s * 1000))};
}

std::optional<long> args::count(const std::string& name) const {
  auto v = get(name);
  if (!v) return std::nullopt;
  char* end = nullptr;
  long n = std::strtol(v->c_str(), &end, 10);
  if (v->empty() || *end != '\0' || n <= 0) throw usage_error("--" + name + " needs a positive integer, got '" + *v + "'");
  return n;
}

}  // namespace relay::cli
