// allowlist_policy: a relay that admits only the identities you list. The
// policy is an actor the relay asks once per connection, after the client's
// signature checked out; everyone else is closed with 1008.
//
//   build/bin/allowlist_policy --allow FPHEX [--allow FPHEX ...] [--listen 127.0.0.1:8080]
#include <cstdio>
#include <cstring>
#include <set>
#include <string>

#include <caf/all.hpp>

#include <relay/actors/extensions.hpp>
#include <relay/actors/relay_core.hpp>
#include <relay/net/server.hpp>

namespace {

caf::behavior allowlist(caf::event_based_actor*, std::set<std::string> allowed) {
  return {
    [=](relay::admit_atom, const relay::protocol::fingerprint& fp, relay::protocol::key_algorithm) {
      if (allowed.count(relay::protocol::to_hex(fp)) != 0) return relay::admission{true, {}};
      return relay::admission{false, "identity not on the allow-list"};
    },
  };
}

}  // namespace

int main(int argc, char** argv) {
  relay::net::server_options opts;
  std::set<std::string> allowed;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--allow") == 0) {
      allowed.insert(argv[i + 1]);
    } else if (std::strcmp(argv[i], "--listen") == 0 && !relay::net::parse_listen_address(argv[i + 1], opts)) {
      std::fprintf(stderr, "%s: bad --listen address '%s'\n", argv[0], argv[i + 1]);
      return 2;
    }
  }
  if (allowed.empty()) {
    std::fprintf(stderr, "allowlist_policy: give at least one --allow FINGERPRINT_HEX\n");
    return 2;
  }
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  relay::relay_extensions ext;
  ext.admission_policy = sys.spawn(allowlist, allowed);
  auto core = relay::spawn_relay_core(sys, relay::relay_config{}, ext);
  return relay::net::serve_until_signal(sys, core, opts);
}
