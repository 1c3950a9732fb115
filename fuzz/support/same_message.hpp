// Field-by-field equality of two protocol messages (the message structs
// have no operator==): what the codec fuzzers' round-trip checks compare.
#pragma once

#include <tuple>
#include <type_traits>
#include <variant>

#include "relay/protocol/messages.hpp"

namespace relay::fuzz {

namespace detail {
using namespace relay::protocol;
inline auto fields(const auth_challenge& m) { return std::tie(m.value); }
inline auto fields(const auth_response& m) { return std::tie(m.id.cose_key_bytes, m.cose_sign1_bytes); }
inline auto fields(const get_rendezvous& m) { return std::tie(m.variant); }
inline auto fields(const rendezvous_info& m) { return std::tie(m.variant, m.code); }
inline auto fields(const get_identity& m) { return std::tie(m.code); }
inline auto fields(const identity_info& m) { return std::tie(m.fp, m.id.cose_key_bytes); }
inline auto fields(const send& m) { return std::tie(m.source, m.destination, m.payload); }
}  // namespace detail

inline bool same_message(const protocol::message& a, const protocol::message& b) {
  if (a.index() != b.index()) return false;
  return std::visit(
    [&](const auto& x) {
      using T = std::decay_t<decltype(x)>;
      return detail::fields(x) == detail::fields(std::get<T>(b));
    },
    a);
}

}  // namespace relay::fuzz
