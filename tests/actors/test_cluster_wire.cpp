// What crosses the middleman between nodes: the cluster messages that name
// an identity, through CAF's binary serializer and back as BASP carries
// them, with the types add_cluster_message_types registers. Fingerprints
// are typed there: exactly their 32 bytes, so one of another length cannot
// be read back.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/all.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>

#include "relay/actors/cluster.hpp"
#include "relay/actors/messages.hpp"
#include "relay/log.hpp"

using namespace relay;
namespace proto = relay::protocol;

namespace {

proto::fingerprint fp_of(std::uint8_t n) {
  proto::fingerprint fp{};
  for (std::size_t i = 0; i < fp.size(); ++i) fp[i] = static_cast<std::uint8_t>(n + i);
  return fp;
}

struct wire_system {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  wire_system() {
    log::set_level(log::level::off);
    add_cluster_message_types(cfg);
    cfg.set("scheduler.max-threads", std::size_t{1});
    sys = std::make_unique<caf::actor_system>(cfg);
  }

  template <class T>
  std::vector<char> save(T x) {
    std::vector<char> buf;
    caf::binary_serializer sink{*sys, buf};
    auto err = sink(x);
    REQUIRE_FALSE(err);
    return buf;
  }

  // Deserialises a T from all of `buf` (a message as BASP reads a
  // payload); nullopt on any error or leftover.
  template <class T>
  std::optional<T> load(const std::vector<char>& buf) {
    caf::binary_deserializer source{*sys, buf};
    T out{};
    if (source(out) || source.remaining() != 0) return std::nullopt;
    return out;
  }

  std::optional<caf::message> round_trip(const caf::message& msg) { return load<caf::message>(save(msg)); }
};

}  // namespace

TEST_CASE("cluster wire: the messages that name an identity carry it typed, and it survives the trip",
          "[actors][cluster][wire]") {
  wire_system w;
  auto a = fp_of(1), b = fp_of(101);

  auto up = w.round_trip(caf::make_message(fp_up_atom::value, std::string{"n1"}, a));
  REQUIRE(up);
  REQUIRE(up->match_elements<caf::atom_value, std::string, proto::fingerprint>());
  CHECK(up->get_as<caf::atom_value>(0) == fp_up_atom::value);
  CHECK(up->get_as<proto::fingerprint>(2) == a);

  auto down = w.round_trip(caf::make_message(fp_down_atom::value, std::string{"n1"}, b));
  REQUIRE(down);
  REQUIRE(down->match_elements<caf::atom_value, std::string, proto::fingerprint>());
  CHECK(down->get_as<proto::fingerprint>(2) == b);

  auto snap = w.round_trip(caf::make_message(fp_snapshot_atom::value, std::string{"n1"}, std::vector{a, b}));
  REQUIRE(snap);
  REQUIRE(snap->match_elements<caf::atom_value, std::string, std::vector<proto::fingerprint>>());
  CHECK(snap->get_as<std::vector<proto::fingerprint>>(2) == std::vector{a, b});

  auto deliver = w.round_trip(
    caf::make_message(cluster_deliver_atom::value, std::string{"n1"}, wire_envelope{a, std::string("\x00\x01z", 3)}));
  REQUIRE(deliver);
  REQUIRE(deliver->match_elements<caf::atom_value, std::string, wire_envelope>());
  CHECK(deliver->get_as<wire_envelope>(2).destination == a);
  CHECK(deliver->get_as<wire_envelope>(2).message == std::string("\x00\x01z", 3));

  auto presence = w.round_trip(caf::make_message(remote_presence_atom::value, b));
  REQUIRE(presence);
  REQUIRE(presence->match_elements<caf::atom_value, proto::fingerprint>());
  CHECK(presence->get_as<proto::fingerprint>(1) == b);

  // The answer to another node's claim: found, and the owner.
  auto claimed = w.round_trip(caf::make_message(true, a));
  REQUIRE(claimed);
  REQUIRE(claimed->match_elements<bool, proto::fingerprint>());
  CHECK(claimed->get_as<proto::fingerprint>(1) == a);
}

TEST_CASE("cluster wire: a fingerprint is exactly its 32 bytes, and a shorter one does not load",
          "[actors][cluster][wire]") {
  wire_system w;
  auto a = fp_of(7);
  // No length before it: the type fixes the size.
  auto bytes = w.save(a);
  REQUIRE(bytes.size() == proto::fingerprint_size);
  CHECK(std::equal(bytes.begin(), bytes.end(), a.begin(),
                   [](char x, std::uint8_t y) { return static_cast<std::uint8_t>(x) == y; }));
  CHECK(w.load<proto::fingerprint>(bytes) == a);
  for (std::size_t cut = 1; cut <= bytes.size(); ++cut)
    CHECK_FALSE(w.load<proto::fingerprint>(std::vector<char>(bytes.begin(), bytes.end() - cut)));

  // A whole message whose fingerprint is cut short never arrives with a
  // shorter one. (Read the way BASP reads it, CAF 0.17 turns a message it
  // cannot read into an empty one, not an error: no handler takes that.)
  auto msg = w.save(caf::make_message(fp_up_atom::value, std::string{"n1"}, a));
  for (std::size_t cut = 1; cut <= proto::fingerprint_size; ++cut) {
    auto got = w.load<caf::message>(std::vector<char>(msg.begin(), msg.end() - cut));
    CHECK_FALSE((got && !got->empty()));
  }

  // A snapshot that promises more fingerprints than it carries.
  auto snap = w.save(std::vector{a, a});
  REQUIRE(snap.size() == 1 + 2 * proto::fingerprint_size);  // a one-byte count, then the fingerprints
  CHECK(w.load<std::vector<proto::fingerprint>>(snap) == std::vector{a, a});
  snap[0] = 3;
  CHECK_FALSE(w.load<std::vector<proto::fingerprint>>(snap));

  // The old shape (32 bytes in a string) is another type, which no cluster
  // handler takes as a fingerprint.
  auto as_string = w.round_trip(caf::make_message(fp_up_atom::value, std::string{"n1"}, std::string(32, 'x')));
  REQUIRE(as_string);
  CHECK_FALSE(as_string->match_elements<caf::atom_value, std::string, proto::fingerprint>());
}
