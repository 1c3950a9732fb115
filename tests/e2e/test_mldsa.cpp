// ML-DSA-65 identities end to end: authentication, pairing with an Ed25519
// client by code, messages both ways, and the exact identity bytes echoed.
#include "helpers.hpp"

using namespace relay;
using namespace relay::test;

TEST_CASE("an ML-DSA-65 client pairs with an Ed25519 client and they talk both ways", "[e2e][mldsa65]") {
  relay_process relay;
  auto pq_key = test_key(110, protocol::key_algorithm::ml_dsa_65);
  auto ed_key = test_key(111);
  auto pq = authed(relay, pq_key);
  auto ed = authed(relay, ed_key);
  require_round_trip(*pq);

  // The ML-DSA client offers a code; the Ed25519 client claims it.
  auto code = pq->get_rendezvous();
  auto info = ed->claim(code);
  REQUIRE(info);
  CHECK(info->fp == pq_key.fp());
  CHECK(info->id.cose_key_bytes == pq_key.cose_key_bytes());  // 1952-byte key, byte for byte

  ed->send_to(pq_key.fp(), bytes_of("hello post-quantum"));
  auto at_pq = next_send(*pq);
  REQUIRE(at_pq);
  CHECK(at_pq->source == ed_key.fp());
  CHECK(at_pq->payload == bytes_of("hello post-quantum"));

  pq->send_to(ed_key.fp(), bytes_of("hello classic"));
  auto at_ed = next_send(*ed);
  REQUIRE(at_ed);
  CHECK(at_ed->source == pq_key.fp());
  CHECK(at_ed->payload == bytes_of("hello classic"));
}

TEST_CASE("an ML-DSA-65 response with a flipped signature bit is refused with 1008", "[e2e][mldsa65]") {
  relay_process relay;
  auto key = test_key(112, protocol::key_algorithm::ml_dsa_65);
  auto c = connection::open(relay.url());
  auto msg = c->receive(5s);
  REQUIRE(msg);
  auto sign1 = key.sign_challenge(std::get<protocol::auth_challenge>(*msg).value);
  sign1[sign1.size() - 100] ^= 0x08;
  c->send(protocol::auth_response{protocol::identity{key.cose_key_bytes()}, sign1});
  auto closed = c->wait_closed(5s);
  REQUIRE(closed);
  CHECK(closed->code == 1008);
}
