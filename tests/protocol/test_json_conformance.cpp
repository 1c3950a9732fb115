// The JSON codec against ../shared/conformance/messages.json (read at run
// time), plus edge cases: escapes, surrogates, deep nesting, big payloads,
// truncations and random corruption.
#include <catch2/catch.hpp>

#include <pthread.h>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <tuple>
#include <variant>

#include "conformance.hpp"
#include "relay/protocol/json_codec.hpp"
#include "relay/protocol/messages.hpp"

using namespace relay::protocol;
using relay::test::hex_bytes;
using relay::test::load_conformance;
using namespace std::string_literals;

namespace {

std::string str(const rapidjson::Value& v) { return {v.GetString(), v.GetStringLength()}; }

auto fields(const auth_challenge& m) { return std::tie(m.value); }
auto fields(const auth_response& m) { return std::tie(m.id.cose_key_bytes, m.cose_sign1_bytes); }
auto fields(const get_rendezvous& m) { return std::tie(m.variant); }
auto fields(const rendezvous_info& m) { return std::tie(m.variant, m.code); }
auto fields(const get_identity& m) { return std::tie(m.code); }
auto fields(const identity_info& m) { return std::tie(m.fp, m.id.cose_key_bytes); }
auto fields(const send& m) { return std::tie(m.source, m.destination, m.payload); }

bool same(const message& a, const message& b) {
  if (a.index() != b.index()) return false;
  return std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        return fields(x) == fields(std::get<T>(b));
      },
      a);
}

byte_vector to_vec(const fingerprint& f) { return byte_vector(f.begin(), f.end()); }

fingerprint fingerprint_from_hex(const std::string& hex) {
  auto bytes = hex_bytes(hex);
  REQUIRE(bytes.size() == fingerprint_size);
  fingerprint fp{};
  std::copy(bytes.begin(), bytes.end(), fp.begin());
  return fp;
}

/// decode must fail; and never crash (the point of most callers).
bool rejects(std::string_view text) {
  message m;
  return decode(text, m) != decode_error::none;
}

decode_error error_of(std::string_view text) {
  message m;
  return decode(text, m);
}

/// Decodes, and checks that a successful decode is stable: encoding it and
/// decoding that gives the same value and the same bytes again.
bool decode_consistent(std::string_view text) {
  message m;
  if (decode(text, m) != decode_error::none) return true;
  const std::string once = encode(m);
  message again;
  if (decode(once, again) != decode_error::none) return false;
  return same(m, again) && encode(again) == once;
}

const std::string k_dest =
    "[57,247,19,208,166,68,37,63,4,82,148,33,185,245,27,155,8,151,157,8,41,89,89,196,243,153,14,"
    "230,23,245,19,159]";

std::string send_with_extra(const std::string& extra_field) {
  return "{\"Send\":{" + extra_field + ",\"destination\":" + k_dest + ",\"payload\":[1,2,3]}}";
}

/// Runs `fn` on a thread with a 64 KiB stack: a decoder that recursed once
/// per nesting level would overflow it long before 100000 levels.
template <class Fn>
void run_on_small_stack(Fn fn) {
  struct box {
    Fn* fn;
    static void* call(void* p) {
      (*static_cast<box*>(p)->fn)();
      return nullptr;
    }
  } b{&fn};
  pthread_attr_t attr;
  REQUIRE(pthread_attr_init(&attr) == 0);
  REQUIRE(pthread_attr_setstacksize(&attr, 64 * 1024) == 0);
  pthread_t thread;
  REQUIRE(pthread_create(&thread, &attr, &box::call, &b) == 0);
  REQUIRE(pthread_join(thread, nullptr) == 0);
  pthread_attr_destroy(&attr);
}

}  // namespace

// ---------------------------------------------------------------------------
// Conformance vectors
// ---------------------------------------------------------------------------

TEST_CASE("json: every canonical message decodes and re-encodes byte for byte", "[json]") {
  auto doc = load_conformance("messages.json");
  std::size_t cases = 0;
  for (const auto& entry : doc["messages"].GetArray()) {
    const std::string name = str(entry["name"]);
    const std::string json = str(entry["json"]);
    const std::string variant = str(entry["variant"]);
    const std::string spell = str(entry["spelling"]);
    const auto& decoded = entry["decoded"];
    INFO("message " << name);
    message m;
    REQUIRE(decode(json, m) == decode_error::none);
    CHECK(encode(m) == json);
    std::string appended = "prefix:";
    encode_to(m, appended);
    CHECK(appended == "prefix:" + json);

    if (variant == "AuthChallenge") {
      REQUIRE(std::holds_alternative<auth_challenge>(m));
      const auto& c = std::get<auth_challenge>(m).value;
      CHECK(byte_vector(c.begin(), c.end()) == hex_bytes(str(decoded["challenge_hex"])));
    } else if (variant == "AuthResponse") {
      REQUIRE(std::holds_alternative<auth_response>(m));
      const auto& r = std::get<auth_response>(m);
      CHECK(r.id.cose_key_bytes == hex_bytes(str(decoded["cose_key_hex"])));
      CHECK(r.cose_sign1_bytes == hex_bytes(str(decoded["cose_sign1_hex"])));
    } else if (variant == "GetRendevouz" || variant == "GetRendezvous") {
      REQUIRE(std::holds_alternative<get_rendezvous>(m));
      CHECK(std::get<get_rendezvous>(m).variant ==
            (spell == "old" ? spelling::seed : spelling::current));
    } else if (variant == "RendevouzInfo" || variant == "RendezvousInfo") {
      REQUIRE(std::holds_alternative<rendezvous_info>(m));
      const auto& r = std::get<rendezvous_info>(m);
      CHECK(r.variant == (spell == "old" ? spelling::seed : spelling::current));
      CHECK(r.code == str(decoded["code"]));
    } else if (variant == "GetIdentity") {
      REQUIRE(std::holds_alternative<get_identity>(m));
      CHECK(std::get<get_identity>(m).code == str(decoded["code"]));
    } else if (variant == "IdentityInfo") {
      REQUIRE(std::holds_alternative<identity_info>(m));
      const auto& i = std::get<identity_info>(m);
      CHECK(to_vec(i.fp) == hex_bytes(str(decoded["fingerprint_hex"])));
      CHECK(i.id.cose_key_bytes == hex_bytes(str(decoded["cose_key_hex"])));
    } else if (variant == "Send") {
      REQUIRE(std::holds_alternative<send>(m));
      const auto& s = std::get<send>(m);
      CHECK(to_vec(s.destination) == hex_bytes(str(decoded["destination_hex"])));
      CHECK(s.payload == hex_bytes(str(decoded["payload_hex"])));
      CHECK(s.payload.size() == decoded["payload_len"].GetUint());
      if (decoded.HasMember("source_hex")) {
        REQUIRE(s.source.has_value());
        CHECK(to_vec(*s.source) == hex_bytes(str(decoded["source_hex"])));
      } else {
        CHECK_FALSE(s.source.has_value());
      }
    } else {
      FAIL("unexpected variant " << variant);
    }
    ++cases;
  }
  CHECK(cases >= 15);
}

TEST_CASE("json: every decode_reject vector is rejected", "[json]") {
  auto doc = load_conformance("messages.json");
  std::size_t cases = 0;
  for (const auto& entry : doc["decode_reject"].GetArray()) {
    const std::string text = str(entry["text"]);
    INFO("decode_reject " << str(entry["name"]) << ": " << str(entry["why"]));
    message m;
    const auto e = decode(text, m);
    INFO("error " << to_string(e));
    CHECK(e != decode_error::none);
    ++cases;
  }
  CHECK(cases >= 65);
}

TEST_CASE("json: both spellings of the rendezvous variants are accepted and recorded",
          "[json]") {
  auto doc = load_conformance("messages.json");
  std::size_t cases = 0;
  for (const auto& entry : doc["spelling_specific"].GetArray()) {
    const std::string text = str(entry["text"]);
    INFO("spelling_specific " << str(entry["name"]));
    const bool old_spelling = str(entry["old_reference"]) == "accept";
    const spelling expected = old_spelling ? spelling::seed : spelling::current;
    message m;
    REQUIRE(decode(text, m) == decode_error::none);
    if (auto* g = std::get_if<get_rendezvous>(&m)) {
      CHECK(g->variant == expected);
    } else {
      REQUIRE(std::holds_alternative<rendezvous_info>(m));
      CHECK(std::get<rendezvous_info>(m).variant == expected);
    }
    CHECK(encode(m) == text);  // a reply uses the request's spelling
    ++cases;
  }
  CHECK(cases >= 4);
}

TEST_CASE("json: every decode_accept_variants entry decodes to its equivalent_json", "[json]") {
  auto doc = load_conformance("messages.json");
  auto identities = load_conformance("identities.json");
  const fingerprint ed1 =
      fingerprint_from_hex(str(relay::test::identity_named(identities, "ed25519-1")["fingerprint_hex"]));
  std::size_t cases = 0;
  std::size_t forwarded = 0;
  for (const auto& entry : doc["decode_accept_variants"].GetArray()) {
    const std::string text = str(entry["text"]);
    const std::string equivalent = str(entry["equivalent_json"]);
    INFO("decode_accept_variants " << str(entry["name"]) << ": " << str(entry["why"]));
    message m;
    REQUIRE(decode(text, m) == decode_error::none);
    CHECK(encode(m) == equivalent);
    message canonical;
    REQUIRE(decode(equivalent, canonical) == decode_error::none);
    CHECK(same(m, canonical));

    const std::string spell = str(entry["spelling"]);
    if (auto* g = std::get_if<get_rendezvous>(&m)) {
      CHECK(g->variant == (spell == "old" ? spelling::seed : spelling::current));
    }
    if (entry.HasMember("relay_forwards_json")) {
      REQUIRE(std::holds_alternative<send>(m));
      std::get<send>(m).source = ed1;
      CHECK(encode(m) == str(entry["relay_forwards_json"]));
      ++forwarded;
    }
    ++cases;
  }
  CHECK(cases >= 27);
  CHECK(forwarded > 0);
}

// ---------------------------------------------------------------------------
// Edge cases
// ---------------------------------------------------------------------------

TEST_CASE("json: surrogate pairs in a code decode to UTF-8, lone surrogates are rejected",
          "[json]") {
  message m;
  REQUIRE(decode(R"({"GetIdentity":{"code":"\ud83d\ude00-\uD834\uDD1E-\u00e9"}})", m) ==
          decode_error::none);
  REQUIRE(std::holds_alternative<get_identity>(m));
  const std::string expected = "\xF0\x9F\x98\x80-\xF0\x9D\x84\x9E-\xC3\xA9";
  CHECK(std::get<get_identity>(m).code == expected);
  // serde_json writes non-ASCII verbatim.
  CHECK(encode(m) == "{\"GetIdentity\":{\"code\":\"" + expected + "\"}}");

  // Raw UTF-8 in the code is accepted as is.
  REQUIRE(decode("{\"GetIdentity\":{\"code\":\"" + expected + "\"}}", m) == decode_error::none);
  CHECK(std::get<get_identity>(m).code == expected);

  for (const char* bad : {
           R"({"GetIdentity":{"code":"\ud83d"}})",          // lead at the end
           R"({"GetIdentity":{"code":"\ude00"}})",          // lone trail
           R"({"GetIdentity":{"code":"\ud83dx"}})",         // lead then a char
           R"({"GetIdentity":{"code":"\ud83d\n"}})",        // lead then another escape
           R"({"GetIdentity":{"code":"\ud83d\u0041"}})",    // lead then a non-trail
           R"({"GetIdentity":{"code":"\ud83d\ud83d"}})",    // two leads
           R"({"GetIdentity":{"code":"\ud83d\ude0"}})",     // short trail
           R"({"GetIdentity":{"c\udc00ode":"K7Q"}})",       // in a key
           R"({"Send\ud800":{}})",                          // in the variant name
       }) {
    INFO(bad);
    CHECK(rejects(bad));
  }
}

TEST_CASE("json: invalid escapes and invalid UTF-8 are rejected in every string", "[json]") {
  for (std::string bad : {
           std::string(R"({"GetIdentity":{"code":"\x41"}})"),
           std::string(R"({"GetIdentity":{"code":"\u12G4"}})"),
           std::string(R"({"GetIdentity":{"code":"\u12"}})"),
           std::string(R"({"GetIdentity":{"code":"\'"}})"),
           std::string("{\"GetIdentity\":{\"code\":\"\xC3\x28\"}}"),          // bad continuation
           std::string("{\"GetIdentity\":{\"code\":\"\xC0\xAF\"}}"),          // overlong
           std::string("{\"GetIdentity\":{\"code\":\"\xED\xA0\x80\"}}"),      // encoded surrogate
           std::string("{\"GetIdentity\":{\"code\":\"\xF4\x90\x80\x80\"}}"),  // > U+10FFFF
           std::string("{\"GetIdentity\":{\"code\":\"\xE2\x82\"}}"),          // cut sequence
           std::string("{\"GetIdentity\":{\"code\":\"\xFF\"}}"),
           std::string("{\"GetIdentity\":{\"code\":\"a\tb\"}}"),              // raw tab
           "{\"GetIdentity\":{\"code\":\"a\0b\"}}"s,          // raw NUL
           send_with_extra("\"\xC3\x28\":1"),                                 // unknown key
           send_with_extra("\"x\":\"\xC3\x28\""),                             // ignored string
           send_with_extra(R"("x":"\q")"),                                    // ignored bad escape
           send_with_extra(R"("x":"\u00G0")"),
       }) {
    INFO(bad);
    CHECK(rejects(bad));
  }
}

TEST_CASE("json: ignored strings are only syntax-checked, like serde_json's ignore_str",
          "[json]") {
  // serde_json's ignore_str checks that \u has four hex digits but not that
  // surrogates pair up (only a decoded string does that).
  for (const std::string& ok : {
           send_with_extra(R"("x":"\ud800")"),
           send_with_extra(R"("x":"\udc00\ud800x")"),
           send_with_extra(R"("x":{"\ud800":"\"\\\/\b\f\n\r\t"})"),
           send_with_extra("\"x\":\"\xF0\x9F\x98\x80\""),
           send_with_extra(R"("x":[1e400,-0,0.5e-999,123456789012345678901234567890,-1E+2,true,false,null,{}])"),
       }) {
    INFO(ok);
    message m;
    CHECK(decode(ok, m) == decode_error::none);
  }
  for (const std::string& bad : {
           send_with_extra(R"("x":01)"), send_with_extra(R"("x":1.)"), send_with_extra(R"("x":.5)"),
           send_with_extra(R"("x":1e)"), send_with_extra(R"("x":-)"), send_with_extra(R"("x":+1)"),
           send_with_extra(R"("x":nul)"), send_with_extra(R"("x":True)"),
           send_with_extra(R"("x":[1,])"), send_with_extra(R"("x":{"a":1,})"),
           send_with_extra(R"("x":{"a"})"), send_with_extra(R"("x":{1:2})"),
           send_with_extra(R"("x":[,1])"), send_with_extra(R"("x":)"),
       }) {
    INFO(bad);
    CHECK(rejects(bad));
  }
}

TEST_CASE("json: strings are encoded the way serde_json escapes them", "[json]") {
  get_identity g;
  g.code = "a\"b\\c/d\b\f\n\r\t\x01\x1f\x7f\0e"s;
  const message m = g;
  const std::string json = encode(m);
  CHECK(json == std::string(R"({"GetIdentity":{"code":"a\"b\\c/d\b\f\n\r\t\u0001\u001f)") +
                    "\x7f" + R"(\u0000e"}})");
  message back;
  REQUIRE(decode(json, back) == decode_error::none);
  CHECK(same(m, back));
}

TEST_CASE("json: 100000 levels of nesting in an unknown field are skipped without recursion",
          "[json]") {
  const std::size_t depth = 100000;
  const std::string arrays = std::string(depth, '[') + std::string(depth, ']');
  std::string objects;
  for (std::size_t i = 0; i < depth; ++i) objects += "{\"a\":";
  objects += "1";
  objects += std::string(depth, '}');
  std::string mixed;
  for (std::size_t i = 0; i < depth / 2; ++i) mixed += "[{\"k\":[],\"a\":";
  mixed += "\"deep\"";
  for (std::size_t i = 0; i < depth / 2; ++i) mixed += "}]";

  const std::string accept_arrays = send_with_extra("\"x\":" + arrays);
  const std::string accept_objects = send_with_extra("\"x\":" + objects);
  const std::string accept_mixed = send_with_extra("\"x\":" + mixed);
  const std::string unclosed = send_with_extra("\"x\":" + std::string(depth, '['));
  const std::string one_short =
      send_with_extra("\"x\":" + std::string(depth, '[') + std::string(depth - 1, ']'));
  const std::string mismatched =
      send_with_extra("\"x\":" + std::string(depth, '[') + "}" + std::string(depth - 1, ']'));
  const std::string top_level = std::string(depth, '[') + std::string(depth, ']');
  const std::string in_payload = "{\"Send\":{\"destination\":" + k_dest + ",\"payload\":" +
                                 std::string(depth, '[') + std::string(depth, ']') + "}}";

  decode_error results[8];
  run_on_small_stack([&] {
    message m;
    results[0] = decode(accept_arrays, m);
    results[1] = decode(accept_objects, m);
    results[2] = decode(accept_mixed, m);
    results[3] = decode(unclosed, m);
    results[4] = decode(one_short, m);
    results[5] = decode(mismatched, m);
    results[6] = decode(top_level, m);
    results[7] = decode(in_payload, m);
  });
  CHECK(results[0] == decode_error::none);
  CHECK(results[1] == decode_error::none);
  CHECK(results[2] == decode_error::none);
  CHECK(results[3] != decode_error::none);
  CHECK(results[4] != decode_error::none);
  CHECK(results[5] != decode_error::none);
  CHECK(results[6] == decode_error::not_an_enum);
  CHECK(results[7] == decode_error::wrong_shape);

  message m;
  REQUIRE(decode(accept_mixed, m) == decode_error::none);
  CHECK(encode(m) == "{\"Send\":{\"destination\":" + k_dest + ",\"payload\":[1,2,3]}}");
}

TEST_CASE("json: unbalanced nesting in an ignored value is rejected", "[json]") {
  for (const std::string& bad : {
           send_with_extra(R"("x":[[[1]])"),
           send_with_extra(R"("x":[1}})"),
           send_with_extra(R"("x":{"a":[1}])"),
           send_with_extra(R"("x":{"a":1]])"),
           send_with_extra(R"("x":]])"),
           std::string("{\"Send\":{\"x\":[[[[") ,
           std::string("{\"Send\":{\"x\":{\"a\":{\"b\":"),
       }) {
    INFO(bad);
    CHECK(rejects(bad));
  }
}

TEST_CASE("json: a 4 MiB payload round-trips", "[json]") {
  std::mt19937 rng(42);
  send s;
  s.destination.fill(7);
  s.payload.resize(4u << 20);
  for (auto& b : s.payload) b = static_cast<std::uint8_t>(rng());
  const message m = s;
  const std::string json = encode(m);
  CHECK(json.size() > 4u * 1024 * 1024 * 3);
  message back;
  REQUIRE(decode(json, back) == decode_error::none);
  CHECK(same(m, back));
  CHECK(encode(back) == json);

  // With the relay's source and in the pretty form, too.
  s.source.emplace();
  s.source->fill(255);
  const message with_source = s;
  std::string spaced = encode(with_source);
  std::string pretty;
  pretty.reserve(spaced.size() * 2);
  for (char c : spaced) {
    pretty += c;
    if (c == ',' || c == '[') pretty += " \n\t\r";
  }
  REQUIRE(decode(pretty, back) == decode_error::none);
  CHECK(same(with_source, back));
}

TEST_CASE("json: u8 elements accept only plain integers 0..255", "[json]") {
  auto payload = [](const std::string& elems) {
    return "{\"Send\":{\"destination\":" + k_dest + ",\"payload\":" + elems + "}}";
  };
  auto decoded_payload = [&](const std::string& elems) {
    message m;
    REQUIRE(decode(payload(elems), m) == decode_error::none);
    return std::get<send>(m).payload;
  };
  CHECK(decoded_payload("[0,9,10,99,100,199,200,249,250,255]") ==
        byte_vector{0, 9, 10, 99, 100, 199, 200, 249, 250, 255});
  CHECK(decoded_payload("[ 1 , 2 ,\t3\n,\r4 ]") == byte_vector{1, 2, 3, 4});
  CHECK(decoded_payload("[255]") == byte_vector{255});
  CHECK(decoded_payload("[7]") == byte_vector{7});
  CHECK(decoded_payload("[12]") == byte_vector{12});
  CHECK(decoded_payload("[0]") == byte_vector{0});
  CHECK(decoded_payload("[]") == byte_vector{});
  CHECK(decoded_payload("[ ]") == byte_vector{});

  for (const char* bad : {"[256]", "[300]", "[999]", "[1000]", "[0255]", "[00]", "[01]",
                          "[1.5]", "[1.0]", "[1e0]", "[1E0]", "[0e0]", "[-1]", "[-0]", "[1,]",
                          "[,1]", "[1 2]", "[1,,2]", "[+1]", "[0x1]", "[1", "[1,", "[",
                          "[18446744073709551615]", "[\"1\"]", "[[1]]", "[{}]", "null", "{}",
                          "\"\"", "[1]x"}) {
    INFO(bad);
    CHECK(rejects(payload(bad)));
  }
  // At the very end of the input (the slow, bounds-checked path).
  CHECK(rejects("{\"AuthChallenge\":[1,2"));
  CHECK(rejects("{\"AuthChallenge\":[25"));
}

TEST_CASE("json: error values name the failure", "[json]") {
  const std::string dest = k_dest;
  CHECK(error_of("") == decode_error::syntax);
  CHECK(error_of("hello") == decode_error::syntax);
  CHECK(error_of("null") == decode_error::not_an_enum);
  CHECK(error_of("[]") == decode_error::not_an_enum);
  CHECK(error_of("{}") == decode_error::not_an_enum);
  CHECK(error_of("\"Ping\"") == decode_error::unknown_variant);
  CHECK(error_of("{\"Hello\":[1]}") == decode_error::unknown_variant);
  CHECK(error_of("\"Send\"") == decode_error::wrong_shape);
  CHECK(error_of("{\"GetRendezvous\":[]}") == decode_error::wrong_shape);
  CHECK(error_of("{\"GetIdentity\":\"K7Q\"}") == decode_error::wrong_shape);
  CHECK(error_of("{\"GetIdentity\":{}}") == decode_error::missing_field);
  CHECK(error_of("{\"GetIdentity\":[]}") == decode_error::missing_field);
  CHECK(error_of("{\"GetIdentity\":{\"code\":\"a\",\"code\":\"a\"}}") ==
        decode_error::duplicate_field);
  CHECK(error_of("{\"Send\":{\"destination\":" + dest + ",\"payload\":[256]}}") ==
        decode_error::invalid_value);
  CHECK(error_of("{\"GetIdentity\":{\"code\":\"a\"}}x") == decode_error::syntax);
  for (auto e : {decode_error::none, decode_error::syntax, decode_error::not_an_enum,
                 decode_error::unknown_variant, decode_error::wrong_shape,
                 decode_error::missing_field, decode_error::duplicate_field,
                 decode_error::invalid_value}) {
    CHECK(std::string(to_string(e)).size() > 0);
  }
  CHECK(std::string(to_string(decode_error::duplicate_field)) == "duplicate_field");
}

TEST_CASE("json: decoding into a reused message replaces every field", "[json]") {
  message m;
  REQUIRE(decode("{\"Send\":{\"source\":" + k_dest + ",\"destination\":" + k_dest +
                     ",\"payload\":[1,2,3,4,5,6,7,8,9]}}",
                 m) == decode_error::none);
  REQUIRE(decode("{\"Send\":{\"destination\":" + k_dest + ",\"payload\":[9]}}", m) ==
          decode_error::none);
  const auto& s = std::get<send>(m);
  CHECK_FALSE(s.source.has_value());
  CHECK(s.payload == byte_vector{9});
  REQUIRE(decode("{\"RendevouzInfo\":{\"code\":\"A\"}}", m) == decode_error::none);
  REQUIRE(decode("{\"RendezvousInfo\":{\"code\":\"B\"}}", m) == decode_error::none);
  CHECK(std::get<rendezvous_info>(m).variant == spelling::current);
  CHECK(std::get<rendezvous_info>(m).code == "B");
}

TEST_CASE("json: every strict prefix of a canonical message is rejected", "[json]") {
  auto doc = load_conformance("messages.json");
  std::size_t prefixes = 0;
  for (const auto& entry : doc["messages"].GetArray()) {
    const std::string json = str(entry["json"]);
    INFO("message " << str(entry["name"]));
    for (std::size_t n = 0; n < json.size(); ++n) {
      const std::string_view prefix(json.data(), n);
      if (!rejects(prefix)) FAIL_CHECK("accepted prefix of length " << n);
      ++prefixes;
    }
  }
  CHECK(prefixes > 10000);
}

TEST_CASE("json: random corruption of valid frames never crashes and decodes stably", "[json]") {
  auto doc = load_conformance("messages.json");
  std::vector<std::string> seeds;
  for (const auto& entry : doc["messages"].GetArray()) seeds.push_back(str(entry["json"]));
  for (const auto& entry : doc["decode_accept_variants"].GetArray()) {
    if (entry["text"].GetStringLength() < 5000) seeds.push_back(str(entry["text"]));
  }
  for (const auto& entry : doc["decode_reject"].GetArray()) {
    if (entry["text"].GetStringLength() < 5000) seeds.push_back(str(entry["text"]));
  }
  static constexpr char interesting[] = "[]{},:\"\\u0123456789-+.eEnulltruefalse \t\r\n\x01\x80\xff";
  std::mt19937 rng(20240601);
  std::size_t accepted = 0;
  const int rounds = 30000;
  for (int round = 0; round < rounds; ++round) {
    std::string text = seeds[rng() % seeds.size()];
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !text.empty(); ++e) {
      const std::size_t at = rng() % text.size();
      const char c = (rng() & 1) ? interesting[rng() % (sizeof interesting - 1)]
                                 : static_cast<char>(rng());
      switch (rng() % 4) {
        case 0: text[at] = c; break;
        case 1: text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), c); break;
        case 2: text.erase(at, 1); break;
        default: text.resize(at); break;
      }
    }
    message m;
    if (decode(text, m) == decode_error::none) ++accepted;
    if (!decode_consistent(text)) FAIL_CHECK("unstable decode of " << text);
  }
  // Pure garbage, too.
  for (int round = 0; round < 5000; ++round) {
    std::string text(rng() % 64, '\0');
    for (auto& c : text) c = interesting[rng() % (sizeof interesting - 1)];
    if (!decode_consistent(text)) FAIL_CHECK("unstable decode of " << text);
  }
  CHECK(accepted > 0);  // some edits (whitespace, a payload digit) keep frames valid
}
