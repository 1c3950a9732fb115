// shout_relay: the relay embedded in your own program, with a service actor
// of your own. The service answers every message with the same text in
// capitals.
//
//   shout_relay [--listen 127.0.0.1:8080]
//
// It prints "service: FPHEX" (the service's address), then the relay's
// "listening on ws://HOST:PORT"; SIGINT or SIGTERM stops it.
#include <cctype>
#include <cstdio>
#include <cstring>

#include <caf/all.hpp>

#include <relay/actors/extensions.hpp>
#include <relay/actors/relay_core.hpp>
#include <relay/net/server.hpp>
#include <relay/protocol/keys.hpp>

namespace {

caf::behavior shout(caf::event_based_actor* self, relay::protocol::fingerprint me) {
  return {
    [=](const relay::service_message& in) {
      if (in.destination != me) return;
      auto reply = in.payload;
      for (auto& byte : reply) byte = static_cast<std::uint8_t>(std::toupper(byte));
      // The sender of a service_message is the gateway that takes replies.
      self->send(caf::actor_cast<caf::actor>(self->current_sender()), relay::service_send{in.source, reply});
    },
  };
}

}  // namespace

int main(int argc, char** argv) {
  relay::net::server_options opts;
  for (int i = 1; i < argc; ++i) {
    bool listen = std::strcmp(argv[i], "--listen") == 0 && i + 1 < argc;
    if (!listen || !relay::net::parse_listen_address(argv[++i], opts)) {
      std::fprintf(stderr, "usage: %s [--listen HOST:PORT]\n", argv[0]);
      return 2;
    }
  }
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto core = relay::spawn_relay_core(sys, relay::relay_config{});

  auto key = relay::protocol::identity_key_pair::generate(relay::protocol::key_algorithm::ed25519);
  relay::register_service(sys, core, key.fp(), key.cose_key_bytes(), sys.spawn(shout, key.fp()));
  std::printf("service: %s\n", relay::protocol::to_hex(key.fp()).c_str());
  std::fflush(stdout);
  return relay::net::serve_until_signal(sys, core, opts);
}
