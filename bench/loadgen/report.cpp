#include "report.hpp"

#include <iomanip>
#include <ostream>
#include <sstream>

namespace relay::bench {

namespace {

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    out += c;
  }
  return out + "\"";
}

std::string num(double v, int digits = 3) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(digits) << v;
  return s.str();
}

}  // namespace

void write_json(std::ostream& out, const report& r) {
  const options& o = *r.opt;
  out << "{\n"
      << "  \"label\": " << quoted(o.label) << ",\n"
      << "  \"scenario\": " << quoted(r.scenario) << ",\n"
      << "  \"mode\": " << quoted(to_string(o.mode)) << ",\n"
      << "  \"wire_format\": " << quoted(o.binary ? "binary" : "json") << ",\n"
      << "  \"devices\": " << o.deliveries_per_send() << ",\n"
      << "  \"connections\": " << r.connections << ",\n"
      << "  \"connected\": " << r.connected << ",\n"
      << "  \"window\": " << (o.rate > 0 ? 0 : o.window) << ",\n"
      << "  \"rate_per_connection\": " << num(o.rate) << ",\n"
      << "  \"payload_bytes\": " << o.payload << ",\n"
      << "  \"threads\": " << r.threads << ",\n"
      << "  \"handshake_seconds\": " << num(r.handshake_seconds, 4) << ",\n"
      << "  \"handshakes_per_s\": " << num(r.handshakes_per_s, 1) << ",\n"
      << "  \"measured_seconds\": " << num(r.measured_seconds) << ",\n"
      << "  \"sent\": " << r.sent << ",\n"
      << "  \"received\": " << r.received << ",\n"
      << "  \"expected\": " << r.expected << ",\n"
      << "  \"lost\": " << r.lost << ",\n"
      << "  \"messages_per_s\": " << num(r.messages_per_s, 1) << ",\n"
      << "  \"sends_per_s\": " << num(r.sends_per_s, 1) << ",\n"
      << "  \"mb_per_s\": " << num(r.mb_per_s) << ",\n"
      << "  \"latency_us\": {\"count\": " << r.latency_count << ", \"p50\": " << num(r.p50_us, 1)
      << ", \"p90\": " << num(r.p90_us, 1) << ", \"p99\": " << num(r.p99_us, 1) << ", \"max\": " << num(r.max_us, 1)
      << "},\n"
      << "  \"errors\": " << r.errors << ",\n"
      << "  \"error_detail\": {";
  bool first = true;
  for (const auto& [name, n] : r.error_detail) {
    if (n == 0) continue;
    out << (first ? "" : ", ") << quoted(name) << ": " << n;
    first = false;
  }
  out << "},\n"
      << "  \"relay\": {\"pid\": " << r.relay_pid << ", \"sampled\": " << (r.relay_sampled ? "true" : "false")
      << ", \"cpu_seconds\": " << num(r.relay_cpu_seconds, 3) << ", \"cpu_percent\": " << num(r.relay_cpu_percent, 1)
      << ", \"cpu_us_per_send\": " << num(r.relay_cpu_us_per_send, 3)
      << ", \"cpu_us_per_delivery\": " << num(r.relay_cpu_us_per_delivery, 3)
      << ", \"rss_before_kib\": " << r.relay_rss_before_kib << ", \"rss_kib\": " << r.relay_rss_kib
      << ", \"rss_per_connection_bytes\": " << num(r.relay_rss_per_connection_bytes, 1) << "},\n"
      << "  \"loadgen_cpu_percent\": " << num(r.loadgen_cpu_percent, 1) << "\n"
      << "}\n";
}

void write_table(std::ostream& out, const report& r) {
  const options& o = *r.opt;
  auto row = [&](const std::string& k, const std::string& v) {
    out << "  " << std::left << std::setw(26) << k << v << "\n";
  };
  out << "loadgen " << r.scenario << " (" << to_string(o.mode) << (o.binary ? ", binary dialect" : "")
      << (o.label.empty() ? "" : ", " + o.label) << ")\n";
  row("connections", std::to_string(r.connected) + " / " + std::to_string(r.connections));
  row("handshakes/s", num(r.handshakes_per_s, 0) + "  (" + num(r.handshake_seconds, 3) + " s)");
  if (r.scenario == "traffic") {
    row("load", o.rate > 0 ? num(o.rate, 1) + " msg/s per sender (open loop)"
                           : "window " + std::to_string(o.window) + " (closed loop)");
    row("messages/s (delivered)", num(r.messages_per_s, 0) + "  (sends/s " + num(r.sends_per_s, 0) + ")");
    row("MB/s (payload)", num(r.mb_per_s, 2));
    row("latency p50/p90/p99/max", num(r.p50_us, 1) + " / " + num(r.p90_us, 1) + " / " + num(r.p99_us, 1) + " / " +
                                       num(r.max_us, 1) + " us  (" + std::to_string(r.latency_count) + " samples)");
    row("sent / received / lost", std::to_string(r.sent) + " / " + std::to_string(r.received) + " / " +
                                      std::to_string(r.lost));
  }
  std::string detail;
  for (const auto& [name, n] : r.error_detail) {
    if (n) detail += " " + name + "=" + std::to_string(n);
  }
  row("errors", std::to_string(r.errors) + detail);
  if (r.relay_sampled) {
    row("relay CPU", num(r.relay_cpu_percent, 1) + " %  (" + num(r.relay_cpu_seconds, 2) + " s)");
    if (r.scenario == "traffic") {
      row("relay CPU per send", num(r.relay_cpu_us_per_send, 2) + " us  (per delivery " +
                                    num(r.relay_cpu_us_per_delivery, 2) + " us)");
    }
    row("relay RSS", std::to_string(r.relay_rss_kib) + " KiB (before " + std::to_string(r.relay_rss_before_kib) + ")");
    if (r.scenario == "idle") row("relay RSS per connection", num(r.relay_rss_per_connection_bytes, 0) + " bytes");
  }
  row("loadgen CPU", num(r.loadgen_cpu_percent, 1) + " %  (" + std::to_string(r.threads) + " io threads)");
}

}  // namespace relay::bench
