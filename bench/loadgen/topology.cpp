#include "topology.hpp"

#include <array>

namespace relay::bench {

namespace {

identity_info make_identity(std::uint32_t id) {
  // Seed = "relay-bench" tag + the identity index: the same keys every run.
  std::array<std::uint8_t, 32> seed{};
  constexpr char tag[] = "relay-bench-identity";
  for (std::size_t i = 0; i + 1 < sizeof(tag); ++i) seed[i] = static_cast<std::uint8_t>(tag[i]);
  for (int b = 0; b < 4; ++b) seed[28 + b] = static_cast<std::uint8_t>(id >> (8 * b));
  auto key = protocol::identity_key_pair::from_seed(protocol::key_algorithm::ed25519, seed);
  identity_info info{key, key.cose_key_bytes(), key.fp()};
  return info;
}

}  // namespace

topology build_topology(const options& o) {
  topology t;
  const std::uint32_t n = o.connections;
  t.conns.resize(n);
  const bool sending = !o.auth_only && !o.idle;
  switch (o.mode) {
    case traffic_mode::pairs:
      t.groups = n / 2;
      for (std::uint32_t i = 0; i < n; ++i) {
        const std::uint32_t peer = i ^ 1u;
        t.conns[i] = {i, sending ? peer : none, sending ? peer : none, i / 2};
      }
      t.identities.reserve(n);
      for (std::uint32_t i = 0; i < n; ++i) t.identities.push_back(make_identity(o.identity_offset + i));
      t.senders = sending ? n : 0;
      break;
    case traffic_mode::self:
      t.groups = n;
      for (std::uint32_t i = 0; i < n; ++i) t.conns[i] = {i, sending ? i : none, sending ? i : none, i};
      t.identities.reserve(n);
      for (std::uint32_t i = 0; i < n; ++i) t.identities.push_back(make_identity(o.identity_offset + i));
      t.senders = sending ? n : 0;
      break;
    case traffic_mode::fanout: {
      // Group g: connection g*(K+1) is identity 2g and sends to identity 2g+1,
      // which the next K connections all authenticate as (its devices).
      const std::uint32_t k = o.devices;
      t.groups = n / (k + 1);
      t.identities.reserve(2 * t.groups);
      for (std::uint32_t g = 0; g < t.groups; ++g) {
        t.identities.push_back(make_identity(o.identity_offset + 2 * g));
        t.identities.push_back(make_identity(o.identity_offset + 2 * g + 1));
        const std::uint32_t base = g * (k + 1);
        t.conns[base] = {2 * g, sending ? 2 * g + 1 : none, none, g};
        for (std::uint32_t d = 1; d <= k; ++d) t.conns[base + d] = {2 * g + 1, none, sending ? base : none, g};
      }
      t.senders = sending ? t.groups : 0;
      break;
    }
  }
  return t;
}

}  // namespace relay::bench
