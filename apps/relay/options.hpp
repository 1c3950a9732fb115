// Command-line options of the `relay` server (see --help and DESIGN.md).
#pragma once

#include <string>

#include "relay/actors/config.hpp"
#include "relay/log.hpp"
#include "relay/net/server.hpp"

namespace relay::app {

struct relay_options {
  relay_config core;
  net::server_options server;
  unsigned workers = 2;  // CAF scheduler threads
  log::level log_level = log::level::info;
};

enum class parse_outcome { run, exit_ok, exit_usage };

/// Parses argv (and $BIND_ADDR). On exit_usage a one-line error was printed.
parse_outcome parse_options(int argc, char** argv, relay_options& out);

}  // namespace relay::app
