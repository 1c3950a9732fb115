// Command-line options of the load generator.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace relay::bench {

enum class traffic_mode { pairs, self, fanout };

struct server_address {
  std::string host = "127.0.0.1";
  std::string port = "8080";
};

struct options {
  /// --url, repeatable: connection i uses servers[i % size] (cluster nodes:
  /// consecutive connections, and so every pair, land on different nodes).
  std::vector<server_address> servers;
  traffic_mode mode = traffic_mode::pairs;
  std::uint32_t devices = 4;        ///< fanout: devices of each receiving identity
  std::uint32_t connections = 200;  ///< total sockets opened
  std::uint32_t window = 32;        ///< closed loop: messages in flight per sender
  double rate = 0;                  ///< open loop: messages/s per sender (0 = closed loop)
  std::uint32_t payload = 256;      ///< payload bytes per message (>= 16)
  double duration = 10;             ///< measured seconds (idle mode: settle time)
  double warmup = 2;                ///< unmeasured seconds of traffic before that
  bool auth_only = false;           ///< connect + authenticate only: handshakes/s
  bool idle = false;                ///< connect + authenticate, stay idle: relay RSS/connection
  std::uint32_t threads = 1;        ///< io threads (one io_context each)
  std::uint32_t inflight = 256;     ///< handshakes in progress at once
  int relay_pid = 0;                ///< sample this process's CPU and RSS from /proc
  std::string json_path;            ///< write the JSON report here
  std::string label;                ///< free text copied into the report
  double connect_timeout = 60;
  double drain_timeout = 5;
  bool quiet = false;               ///< no table on stdout
  bool binary = false;              ///< speak the binary dialect (Sec-WebSocket-Protocol: relay-binary-v1)
  double progress = 0;              ///< > 0: a progress line on stderr every this many seconds
  std::uint32_t identity_offset = 0;  ///< first identity index (disjoint identities per load generator)

  /// Messages each delivery fans out to (devices in fanout mode, else 1).
  std::uint32_t deliveries_per_send() const { return mode == traffic_mode::fanout ? devices : 1; }
};

const char* to_string(traffic_mode m);

/// Parses argv; prints a message and exits with status 2 on a bad flag.
options parse_options(int argc, char** argv);

}  // namespace relay::bench
