// loadgen: drives a relay with many authenticated WebSocket connections and
// reports handshakes/s, messages/s, latency percentiles, errors, lost
// messages and the relay's CPU and memory (loadgen --help).
#include <cstdio>
#include <exception>
#include <fstream>
#include <iostream>

#include "options.hpp"
#include "report.hpp"
#include "runner.hpp"

int main(int argc, char** argv) {
  const auto opt = relay::bench::parse_options(argc, argv);
  try {
    const auto r = relay::bench::run(opt);
    if (!opt.quiet) relay::bench::write_table(std::cout, r);
    if (!opt.json_path.empty()) {
      std::ofstream out(opt.json_path);
      relay::bench::write_json(out, r);
      if (!out) {
        std::fprintf(stderr, "loadgen: cannot write %s\n", opt.json_path.c_str());
        return 1;
      }
    }
    return r.errors == 0 && r.lost == 0 ? 0 : 3;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "loadgen: %s\n", e.what());
    return 1;
  }
}
