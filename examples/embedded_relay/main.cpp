// embedded_relay: the relay inside your own actor_system, next to your own
// actors. Here the own actor is an observer that prints one line per
// connection event (metadata only: the relay never shows it payloads).
//
//   build/bin/embedded_relay [--listen 127.0.0.1:8080]
#include <cstdio>
#include <cstring>
#include <string>

#include <caf/all.hpp>

#include <relay/actors/extensions.hpp>
#include <relay/actors/relay_core.hpp>
#include <relay/net/server.hpp>

namespace {

caf::behavior printing_observer(caf::event_based_actor*, std::FILE* out) {
  return {
    [=](const relay::observer_event& e) {
      auto fp = relay::protocol::to_hex(e.fp).substr(0, 16);
      if (e.what == relay::observer_event::kind::routed) {
        auto to = relay::protocol::to_hex(e.destination).substr(0, 16);
        std::fprintf(out, "event=routed fp=%s to=%s bytes=%zu\n", fp.c_str(), to.c_str(), e.bytes);
      } else {
        std::fprintf(out, "event=%s fp=%s peer=%s\n", relay::to_string(e.what), fp.c_str(), e.peer.c_str());
      }
      std::fflush(out);
    },
  };
}

}  // namespace

int main(int argc, char** argv) {
  relay::net::server_options opts;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--listen") == 0 && !relay::net::parse_listen_address(argv[i + 1], opts)) {
      std::fprintf(stderr, "%s: bad --listen address '%s'\n", argv[0], argv[i + 1]);
      return 2;
    }
  }
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};

  relay::relay_extensions ext;
  ext.observer = sys.spawn(printing_observer, stdout);
  relay::relay_config config;
  config.idle_timeout = std::chrono::minutes(10);  // your settings, in code
  auto core = relay::spawn_relay_core(sys, config, ext);
  return relay::net::serve_until_signal(sys, core, opts);
}
