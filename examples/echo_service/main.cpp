// echo_service: a relay with one service actor of your own. Every Send a
// client addresses to the service's fingerprint comes back to the sender.
//
//   build/bin/echo_service [--listen 127.0.0.1:8080]
//
// It prints the relay's address and the service's fingerprint; any client
// can then send to that fingerprint (e.g. relay-cli send --to FPHEX ...).
#include <cstdio>
#include <cstring>
#include <string>

#include <caf/all.hpp>

#include <relay/actors/extensions.hpp>
#include <relay/actors/relay_core.hpp>
#include <relay/net/server.hpp>
#include <relay/protocol/keys.hpp>

namespace {

// The service: answer each message with the same payload. The gateway that
// delivered the message is its sender, and it takes the reply.
caf::behavior echo(caf::event_based_actor* self, relay::protocol::fingerprint me) {
  return {
    [=](const relay::service_message& in) {
      if (in.destination != me) return;  // only what is addressed to this service
      auto gateway = caf::actor_cast<caf::actor>(self->current_sender());
      self->send(gateway, relay::service_send{in.source, in.payload});
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
  auto core = relay::spawn_relay_core(sys, relay::relay_config{});

  // The service owns a key pair: its fingerprint is its address, and peers
  // that claim one of its codes would receive its COSE_Key.
  auto key = relay::protocol::identity_key_pair::generate(relay::protocol::key_algorithm::ed25519);
  relay::register_service(sys, core, key.fp(), key.cose_key_bytes(), sys.spawn(echo, key.fp()));
  std::printf("echo service: %s\n", relay::protocol::to_hex(key.fp()).c_str());
  std::fflush(stdout);

  return relay::net::serve_until_signal(sys, core, opts);
}
