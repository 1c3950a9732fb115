// shout_client: sends one text to a service through a relay and prints the
// answer, on the relay's client library.
//
//   shout_client URL FPHEX TEXT      e.g. ws://127.0.0.1:8080 <service> hello
//
// Prints "reply: ..." and exits 0, or says what went wrong and exits 1.
#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>

#include <relay/client/connection.hpp>
#include <relay/protocol/keys.hpp>

int main(int argc, char** argv) {
  using namespace std::chrono_literals;
  namespace protocol = relay::protocol;
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s URL FPHEX TEXT\n", argv[0]);
    return 2;
  }
  protocol::byte_vector bytes;
  protocol::fingerprint service{};
  if (!protocol::from_hex(argv[2], bytes) || bytes.size() != service.size()) {
    std::fprintf(stderr, "%s: '%s' is not a fingerprint (64 hex digits)\n", argv[0], argv[2]);
    return 2;
  }
  try {
    // A fresh identity each run; a real client would load_key_file() one.
    auto key = protocol::identity_key_pair::generate(protocol::key_algorithm::ed25519);
    auto c = relay::client::connection::open(argv[1]);
    c->authenticate(key, 5s, 200ms);
    std::string text = argv[3];
    std::copy(bytes.begin(), bytes.end(), service.begin());
    c->send_to(service, protocol::byte_vector(text.begin(), text.end()));
    auto answer = c->receive(5s);
    auto* received = answer ? std::get_if<protocol::send>(&*answer) : nullptr;
    if (!received) {
      std::fprintf(stderr, "%s: no answer within 5 s\n", argv[0]);
      return 1;
    }
    std::printf("reply: %s\n", std::string(received->payload.begin(), received->payload.end()).c_str());
    c->close_gracefully();
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", argv[0], e.what());
    return 1;
  }
}
