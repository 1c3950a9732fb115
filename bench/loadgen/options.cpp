#include "options.hpp"

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace relay::bench {

const char* to_string(traffic_mode m) {
  switch (m) {
    case traffic_mode::pairs: return "pairs";
    case traffic_mode::self: return "self";
    case traffic_mode::fanout: return "fanout";
  }
  return "?";
}

namespace {

constexpr const char* usage =
    "usage: loadgen --url ws://HOST:PORT [--url ...] [--mode pairs|self|fanout] [--devices K]\n"
    "               [--connections N] [--window W | --rate R] [--payload BYTES]\n"
    "               [--duration S] [--warmup S] [--auth-only | --idle] [--threads T]\n"
    "               [--inflight H] [--relay-pid PID] [--json FILE] [--label TEXT]\n"
    "               [--connect-timeout S] [--drain-timeout S] [--progress S] [--quiet]\n"
    "               [--binary] [--identity-offset N]\n"
    "  pairs: connection 2i and 2i+1 send to each other; self: each sends to itself;\n"
    "  fanout: groups of 1 sender + K devices of one receiving identity.\n"
    "  --window: closed loop (default 32 in flight per sender); --rate: open loop, msgs/s per sender.\n"
    "  --progress S: every S seconds one line on stderr: progress t=.. phase=.. connected=.. sent=..\n"
    "  received=.. errors=.. (for long runs watched by another program, e.g. bench/soak).\n"
    "  --binary: ask for the binary dialect at upgrade (relay-binary-v1) and send/expect binary frames.\n"
    "  --identity-offset N: identities N, N+1, ... instead of 0, 1, ... (two load generators on one\n"
    "  relay need disjoint identities, or each receives the other's traffic as another device).\n";

[[noreturn]] void bad(const std::string& msg) {
  std::fprintf(stderr, "loadgen: %s\n%s", msg.c_str(), usage);
  std::exit(2);
}

template <class T>
T number(std::string_view flag, std::string_view text) {
  T v{};
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || p != text.data() + text.size()) bad("bad value for " + std::string(flag));
  return v;
}

void parse_url(options& o, std::string_view url) {
  constexpr std::string_view scheme = "ws://";
  if (url.substr(0, scheme.size()) != scheme) bad("--url must start with ws://");
  url.remove_prefix(scheme.size());
  if (auto slash = url.find('/'); slash != std::string_view::npos) url = url.substr(0, slash);
  const auto colon = url.rfind(':');
  if (colon == std::string_view::npos || colon + 1 == url.size()) bad("--url needs HOST:PORT");
  std::string_view host = url.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  o.servers.push_back({std::string(host), std::string(url.substr(colon + 1))});
}

}  // namespace

options parse_options(int argc, char** argv) {
  options o;
  bool window_set = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    auto value = [&]() -> std::string_view {
      if (i + 1 >= argc) bad("missing value for " + std::string(flag));
      return argv[++i];
    };
    if (flag == "--help" || flag == "-h") {
      std::fputs(usage, stdout);
      std::exit(0);
    } else if (flag == "--url") {
      parse_url(o, value());
    } else if (flag == "--mode") {
      const auto m = value();
      if (m == "pairs") o.mode = traffic_mode::pairs;
      else if (m == "self") o.mode = traffic_mode::self;
      else if (m == "fanout") o.mode = traffic_mode::fanout;
      else bad("--mode must be pairs, self or fanout");
    } else if (flag == "--devices") {
      o.devices = number<std::uint32_t>(flag, value());
    } else if (flag == "--connections") {
      o.connections = number<std::uint32_t>(flag, value());
    } else if (flag == "--window") {
      o.window = number<std::uint32_t>(flag, value());
      window_set = true;
    } else if (flag == "--rate") {
      o.rate = number<double>(flag, value());
    } else if (flag == "--payload") {
      o.payload = number<std::uint32_t>(flag, value());
    } else if (flag == "--duration") {
      o.duration = number<double>(flag, value());
    } else if (flag == "--warmup") {
      o.warmup = number<double>(flag, value());
    } else if (flag == "--auth-only") {
      o.auth_only = true;
    } else if (flag == "--idle") {
      o.idle = true;
    } else if (flag == "--threads") {
      o.threads = number<std::uint32_t>(flag, value());
    } else if (flag == "--inflight") {
      o.inflight = number<std::uint32_t>(flag, value());
    } else if (flag == "--relay-pid") {
      o.relay_pid = number<int>(flag, value());
    } else if (flag == "--json") {
      o.json_path = std::string(value());
    } else if (flag == "--label") {
      o.label = std::string(value());
    } else if (flag == "--connect-timeout") {
      o.connect_timeout = number<double>(flag, value());
    } else if (flag == "--drain-timeout") {
      o.drain_timeout = number<double>(flag, value());
    } else if (flag == "--progress") {
      o.progress = number<double>(flag, value());
    } else if (flag == "--quiet") {
      o.quiet = true;
    } else if (flag == "--binary") {
      o.binary = true;
    } else if (flag == "--identity-offset") {
      o.identity_offset = number<std::uint32_t>(flag, value());
    } else {
      bad("unknown flag " + std::string(flag));
    }
  }
  if (o.connections == 0) bad("--connections must be positive");
  // Fanout uses up to 2 identities per group, the other modes one per connection.
  if (std::uint64_t{o.identity_offset} + 2 * std::uint64_t{o.connections} > UINT32_MAX) bad("--identity-offset is too large");
  if (o.threads == 0 || o.threads > 64) bad("--threads must be 1..64");
  if (o.inflight == 0) bad("--inflight must be positive");
  if (o.payload < 16) bad("--payload must be at least 16 (timestamp + sequence number)");
  if (o.payload > 1 << 20) bad("--payload must be at most 1 MiB");
  if (o.devices == 0 || o.devices > 64) bad("--devices must be 1..64");
  if (o.rate < 0 || (o.rate > 0 && window_set)) bad("give either --window or --rate");
  if (o.window == 0) bad("--window must be positive");
  if (o.duration < 0 || o.warmup < 0) bad("durations must not be negative");
  if (o.progress < 0) bad("--progress must not be negative");
  if (o.auth_only && o.idle) bad("--auth-only and --idle exclude each other");
  if (o.mode == traffic_mode::pairs && o.connections % 2 != 0) bad("pairs mode needs an even --connections");
  if (o.mode == traffic_mode::fanout && o.connections % (o.devices + 1) != 0) {
    bad("fanout mode needs --connections divisible by devices + 1");
  }
  if (o.servers.empty()) o.servers.push_back({});  // 127.0.0.1:8080
  return o;
}

}  // namespace relay::bench
