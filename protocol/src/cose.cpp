// COSE_Sign1 / COSE_Key parsing and the challenge-response check.
//
// The reference parses with coset 0.4 (CoseSign1::from_slice,
// CoseKey::from_slice), which first reads a whole ciborium::Value and then
// converts it. What that accepts, and what this file therefore accepts:
// - definite and indefinite lengths, non-shortest heads, any tag inside
//   values that are not interpreted (unknown labels, kid contents aside);
// - nesting up to 256 containers (ciborium's recursion limit);
// - map labels that are integers in i64 range or text; a repeated label
//   (compared by value, not by encoding) is an error;
// - the common header parameters (1 alg, 2 crit, 3 content type, 4 kid,
//   5 IV, 6 partial IV, 7 counter signature) and common key parameters
//   (1 kty, 2 kid, 3 alg, 4 key_ops, 5 base IV) must have coset's types.
// Every value is walked one head at a time (cbor_reader.hpp): nothing is
// allocated according to a declared length, and unknown values are skipped
// without recursion.
#include "relay/protocol/cose.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <string_view>
#include <vector>

#include <sodium.h>

#include "cbor_reader.hpp"
#include "cose_parse.hpp"
#include "ed25519_point.hpp"
#include "relay/protocol/crypto.hpp"
#include "relay/protocol/mldsa65.hpp"

namespace relay::protocol {

namespace {

using cbor::head;
using cbor::item_type;
using cbor::reader;
using cbor::scalar;
using cbor::string_storage;

constexpr std::int64_t alg_eddsa = -8;
constexpr std::int64_t alg_ml_dsa_65 = -49;
constexpr std::size_t ed25519_public_key_size = 32;
constexpr std::size_t ed25519_signature_size = 64;

// Counter signatures nest COSE headers inside byte strings, which restarts
// ciborium's depth count; coset would recurse without bound. We stop here.
constexpr int max_counter_signature_nesting = 4;

// A COSE label as coset's Label: Int(i64) or Text(String).
struct label_key {
  bool text = false;
  std::int64_t number = 0;
  std::string_view str;

  friend bool operator<(const label_key& a, const label_key& b) {
    if (a.text != b.text) return !a.text;
    if (!a.text) return a.number < b.number;
    return a.str < b.str;
  }
  friend bool operator==(const label_key& a, const label_key& b) {
    return a.text == b.text && (a.text ? a.str == b.str : a.number == b.number);
  }
};

bool all_distinct(std::vector<label_key>& labels) {
  std::sort(labels.begin(), labels.end());
  return std::adjacent_find(labels.begin(), labels.end()) == labels.end();
}

// Reads an int (i64 range) or text value as a label.
bool to_label(const scalar& s, label_key& out) {
  if (s.k == scalar::kind::text) {
    out = label_key{true, 0, s.text_view()};
    return true;
  }
  std::int64_t v = 0;
  if (!s.as_i64(v)) return false;
  out = label_key{false, v, {}};
  return true;
}

// Iterates the members of an array or map whose head has been read: each
// call yields the head of the next member (for a map: key, value, key, ...).
class members {
 public:
  members(reader& r, const head& container)
      : r_(r),
        indefinite_(container.indefinite),
        left_(container.type == item_type::map ? container.arg * 2 : container.arg) {}

  enum class step : std::uint8_t { item, end, error };

  step next(head& h) {
    if (!indefinite_) {
      if (left_ == 0) return step::end;
      --left_;
      return r_.next(h) ? step::item : step::error;
    }
    if (!r_.next(h)) return step::error;
    if (h.type == item_type::brk) {
      if (odd_) return step::error;  // a map key without its value
      return step::end;
    }
    odd_ = !odd_;
    return step::item;
  }

  // For indefinite arrays the key/value parity is meaningless.
  void array_mode() { odd_ = false, array_ = true; }
  step next_element(head& h) {
    step s = next(h);
    if (array_) odd_ = false;
    return s;
  }

 private:
  reader& r_;
  bool indefinite_;
  std::uint64_t left_;
  bool odd_ = false;
  bool array_ = false;
};

bool is_unicode_space_at_edge(std::string_view t) {
  // Rust's str::trim removes Unicode White_Space; check the first and last
  // code point against that set.
  auto is_space = [](std::uint32_t cp) {
    return (cp >= 0x09 && cp <= 0x0d) || cp == 0x20 || cp == 0x85 || cp == 0xa0 ||
           cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 ||
           cp == 0x202f || cp == 0x205f || cp == 0x3000;
  };
  auto decode_at = [&t](std::size_t i, std::size_t len) {
    auto b = [&](std::size_t k) { return static_cast<std::uint8_t>(t[i + k]); };
    if (len == 1) return std::uint32_t{b(0)};
    if (len == 2) return std::uint32_t((b(0) & 0x1f) << 6 | (b(1) & 0x3f));
    if (len == 3) return std::uint32_t((b(0) & 0x0f) << 12 | (b(1) & 0x3f) << 6 | (b(2) & 0x3f));
    return std::uint32_t((b(0) & 0x07) << 18 | (b(1) & 0x3f) << 12 | (b(2) & 0x3f) << 6 |
                         (b(3) & 0x3f));
  };
  auto lead_len = [](std::uint8_t b) -> std::size_t {
    return b < 0x80 ? 1 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
  };
  if (t.empty()) return false;
  if (is_space(decode_at(0, lead_len(static_cast<std::uint8_t>(t[0]))))) return true;
  std::size_t last = t.size() - 1;
  while (last > 0 && (static_cast<std::uint8_t>(t[last]) & 0xc0) == 0x80) --last;
  return is_space(decode_at(last, t.size() - last));
}

struct header_info {
  bool has_alg = false;
  bool alg_is_int = false;
  std::int64_t alg = 0;
};

bool parse_header_map(reader& r, const head& map, int depth, string_storage& st,
                      header_info& out, int nesting);

bool parse_protected(byte_span bytes, string_storage& st, header_info& out, int nesting) {
  out = header_info{};
  if (bytes.empty()) return true;  // h'' stands for an empty map
  reader r(bytes);
  head h;
  if (!r.next(h)) return false;
  if (!parse_header_map(r, h, 0, st, out, nesting)) return false;
  return r.at_end();
}

// The rest of a COSE_Signature [protected bstr, unprotected map, bstr]
// whose array head and first member head have been read; `depth` counts
// the array itself.
bool parse_signature_rest(reader& r, const head& array, const head& first, int depth,
                          string_storage& st, int nesting) {
  if (!array.indefinite && array.arg != 3) return false;
  if (first.type != item_type::bytes) return false;
  byte_span protected_bytes;
  if (!cbor::read_string(r, first, st, protected_bytes)) return false;
  head h;
  header_info ignored;
  if (!r.next(h) || !parse_header_map(r, h, depth, st, ignored, nesting)) return false;
  byte_span signature;
  if (!r.next(h) || h.type != item_type::bytes || !cbor::read_string(r, h, st, signature)) {
    return false;
  }
  if (array.indefinite && (!r.next(h) || h.type != item_type::brk)) return false;
  return parse_protected(protected_bytes, st, ignored, nesting);
}

// Header label 7: COSE_Signature / [+ COSE_Signature].
bool parse_counter_signature(reader& r, const head& value, int depth, string_storage& st,
                             int nesting) {
  if (nesting >= max_counter_signature_nesting) return false;
  if (value.type != item_type::array || depth + 1 > cbor::max_depth) return false;
  members outer(r, value);
  outer.array_mode();
  head first;
  if (outer.next_element(first) != members::step::item) return false;  // empty
  if (first.type == item_type::bytes) {
    return parse_signature_rest(r, value, first, depth + 1, st, nesting + 1);
  }
  if (first.type != item_type::array) return false;
  head sig = first;
  for (;;) {
    if (sig.type != item_type::array || depth + 2 > cbor::max_depth) return false;
    members inner(r, sig);
    inner.array_mode();
    head sig_first;
    if (inner.next_element(sig_first) != members::step::item) return false;
    if (!parse_signature_rest(r, sig, sig_first, depth + 2, st, nesting + 1)) return false;
    const auto s = outer.next_element(sig);
    if (s == members::step::end) return true;
    if (s == members::step::error) return false;
  }
}

// Header::from_cbor_value. `depth` counts the containers around the map.
bool parse_header_map(reader& r, const head& map, int depth, string_storage& st,
                      header_info& out, int nesting) {
  out = header_info{};
  if (map.type != item_type::map || depth + 1 > cbor::max_depth) return false;
  const int inner = depth + 1;
  std::vector<label_key> labels;
  bool has_iv = false, has_partial_iv = false;
  members entries(r, map);
  head key;
  for (;;) {
    const auto step = entries.next(key);
    if (step == members::step::end) break;
    if (step == members::step::error) return false;
    scalar k;
    label_key label;
    if (!cbor::read_scalar(r, key, inner, st, k) || !to_label(k, label)) return false;
    labels.push_back(label);
    head value;
    if (entries.next(value) != members::step::item) return false;
    if (label.text || label.number < 1 || label.number > 7) {
      if (!cbor::skip_value(r, value, inner)) return false;
      continue;
    }
    scalar v;
    switch (label.number) {
      case 1:  // alg: int / tstr
        if (!cbor::read_scalar(r, value, inner, st, v)) return false;
        if (v.k == scalar::kind::text) {
          out.has_alg = true;
          out.alg_is_int = false;
        } else if (v.as_i64(out.alg)) {
          out.has_alg = true;
          out.alg_is_int = true;
        } else {
          return false;
        }
        break;
      case 2: {  // crit: [+ label]
        if (value.type != item_type::array || inner + 1 > cbor::max_depth) return false;
        members crit(r, value);
        crit.array_mode();
        std::size_t count = 0;
        head e;
        for (;;) {
          const auto s = crit.next_element(e);
          if (s == members::step::end) break;
          if (s == members::step::error) return false;
          scalar c;
          label_key ignored;
          if (!cbor::read_scalar(r, e, inner + 1, st, c) || !to_label(c, ignored)) return false;
          ++count;
        }
        if (count == 0) return false;
        break;
      }
      case 3: {  // content type: uint / tstr of the form type/subtype
        if (!cbor::read_scalar(r, value, inner, st, v)) return false;
        std::int64_t n = 0;
        if (v.k == scalar::kind::text) {
          const auto t = v.text_view();
          if (t.empty() || is_unicode_space_at_edge(t)) return false;
          if (std::count(t.begin(), t.end(), '/') != 1) return false;
        } else if (!v.as_i64(n) || n < 0) {
          return false;
        }
        break;
      }
      case 4:  // kid, IV, partial IV: non-empty bstr
      case 5:
      case 6:
        if (!cbor::read_scalar(r, value, inner, st, v)) return false;
        if (v.k != scalar::kind::bytes || v.data.empty()) return false;
        if (label.number == 5) has_iv = true;
        if (label.number == 6) has_partial_iv = true;
        break;
      case 7:
        if (!parse_counter_signature(r, value, inner, st, nesting)) return false;
        break;
      default:
        return false;
    }
  }
  if (has_iv && has_partial_iv) return false;
  return all_distinct(labels);
}

struct sign1_info {
  header_info protected_header;
  bool has_payload = false;
  byte_span payload;
  byte_span signature;
};

// CoseSign1::from_slice (untagged).
bool parse_sign1(byte_span input, string_storage& st, sign1_info& out) {
  reader r(input);
  head a;
  if (!r.next(a) || a.type != item_type::array) return false;
  if (!a.indefinite && a.arg != 4) return false;
  head h;
  byte_span protected_bytes;
  if (!r.next(h) || h.type != item_type::bytes || !cbor::read_string(r, h, st, protected_bytes)) {
    return false;
  }
  header_info unprotected;
  if (!r.next(h) || !parse_header_map(r, h, 1, st, unprotected, 0)) return false;
  if (!r.next(h)) return false;
  if (h.type == item_type::bytes) {
    if (!cbor::read_string(r, h, st, out.payload)) return false;
    out.has_payload = true;
  } else if (h.type != item_type::null) {
    return false;
  }
  if (!r.next(h) || h.type != item_type::bytes || !cbor::read_string(r, h, st, out.signature)) {
    return false;
  }
  if (a.indefinite && (!r.next(h) || h.type != item_type::brk)) return false;
  if (!r.at_end()) return false;
  return parse_protected(protected_bytes, st, out.protected_header, 0);
}

bool supported_alg(std::int64_t alg) { return alg == alg_eddsa || alg == alg_ml_dsa_65; }

// Step 5's key half: the public key under -2 (EdDSA) or -1 (ML-DSA-65),
// exactly sized, and for Ed25519 (with `check_point`) a point that
// decompresses (dalek's VerifyingKey::from_bytes).
bool extract_public_key(const detail::cose_key_fields& k, std::int64_t alg, public_key& out,
                        bool check_point = true) {
  if (alg == alg_eddsa) {
    if (!k.minus2 || k.minus2->size() != ed25519_public_key_size) return false;
    if (check_point && !ed25519_point_decompresses(k.minus2->first<ed25519_public_key_size>())) return false;
    out.alg = key_algorithm::ed25519;
    out.bytes.assign(k.minus2->begin(), k.minus2->end());
    return true;
  }
  if (alg == alg_ml_dsa_65) {
    if (!k.minus1 || k.minus1->size() != mldsa65::public_key_size) return false;
    out.alg = key_algorithm::ml_dsa_65;
    out.bytes.assign(k.minus1->begin(), k.minus1->end());
    return true;
  }
  return false;
}

#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
// Fuzz builds only (RELAY_BUILD_FUZZERS), where every challenge is the same
// (crypto.cpp): the last accepted key and signature per thread are
// remembered, so fuzz_connection_frames authenticating with the same
// ML-DSA-65 response input after input verifies it once (instrumented, a
// verification costs more than the rest of an input). Any other bytes are
// verified in full; fuzz_mldsa65_verify calls mldsa65::verify directly.
bool verify_mldsa65(byte_span key, byte_span message, byte_span signature) {
  thread_local std::vector<std::uint8_t> accepted_key, accepted_message, accepted_signature;
  auto same = [](const std::vector<std::uint8_t>& kept, byte_span bytes) {
    return kept.size() == bytes.size() && std::equal(bytes.begin(), bytes.end(), kept.begin());
  };
  if (same(accepted_key, key) && same(accepted_message, message) && same(accepted_signature, signature)) return true;
  if (!mldsa65::verify(key, message, signature)) return false;
  accepted_key.assign(key.begin(), key.end());
  accepted_message.assign(message.begin(), message.end());
  accepted_signature.assign(signature.begin(), signature.end());
  return true;
}
#else
bool verify_mldsa65(byte_span key, byte_span message, byte_span signature) {
  return mldsa65::verify(key, message, signature);
}
#endif

auth_failure verify_steps(const challenge& issued, byte_span cose_key_bytes,
                          byte_span cose_sign1_bytes, verified_identity& out) {
  string_storage st;
  // 1. COSE_Sign1
  sign1_info sign1;
  if (!parse_sign1(cose_sign1_bytes, st, sign1)) return auth_failure::cbor;
  // 2. protected alg
  const header_info& ph = sign1.protected_header;
  if (!ph.has_alg || !ph.alg_is_int || !supported_alg(ph.alg)) return auth_failure::alg;
  // 3. COSE_Key, its alg, and the match with the header
  detail::cose_key_fields key;
  if (!detail::parse_cose_key(cose_key_bytes, st, key)) return auth_failure::identity;
  if (!key.has_alg || !key.alg_is_int || !supported_alg(key.alg)) return auth_failure::identity;
  if (key.alg != ph.alg) return auth_failure::alg;
  // 4. payload == challenge
  if (!sign1.has_payload || sign1.payload.size() != issued.size() ||
      std::memcmp(sign1.payload.data(), issued.data(), issued.size()) != 0) {
    return auth_failure::payload;
  }
  // 5. key and signature lengths. The Ed25519 point check costs ~15 us and
  // libsodium's verify refuses such keys anyway, so it runs only when a
  // failure must be classified (the reference fails those keys as
  // `identity`, before it looks at the signature).
  public_key pk;
  if (!extract_public_key(key, ph.alg, pk, false)) return auth_failure::identity;
  auto signature_failure = [&] {
    if (pk.alg == key_algorithm::ed25519 &&
        !ed25519_point_decompresses(std::span<const std::uint8_t, ed25519_public_key_size>(pk.bytes.data(),
                                                                                          ed25519_public_key_size)))
      return auth_failure::identity;
    return auth_failure::signature;
  };
  const std::size_t sig_size =
      pk.alg == key_algorithm::ed25519 ? ed25519_signature_size : mldsa65::signature_size;
  if (sign1.signature.size() != sig_size) return signature_failure();
  // 6. the signature over the raw challenge
  bool ok = false;
  if (pk.alg == key_algorithm::ed25519) {
    // libsodium also refuses small-order keys and R, and non-canonical
    // encodings, which dalek's non-strict verify would let through.
    ok = crypto_sign_verify_detached(sign1.signature.data(), issued.data(), issued.size(),
                                     pk.bytes.data()) == 0;
  } else {
    ok = verify_mldsa65(pk.bytes, byte_span{issued.data(), issued.size()}, sign1.signature);
  }
  if (!ok) return signature_failure();
  out.alg = pk.alg;
  out.fp = fingerprint_of(pk);
  return auth_failure::none;
}

}  // namespace

namespace detail {

bool parse_cose_key(byte_span input, string_storage& st, cose_key_fields& out) {
  out = cose_key_fields{};
  reader r(input);
  head map;
  if (!r.next(map) || map.type != item_type::map) return false;
  constexpr int inner = 1;
  std::vector<label_key> labels;
  bool kty_present = false;
  members entries(r, map);
  head key;
  for (;;) {
    const auto step = entries.next(key);
    if (step == members::step::end) break;
    if (step == members::step::error) return false;
    scalar k;
    label_key label;
    if (!cbor::read_scalar(r, key, inner, st, k) || !to_label(k, label)) return false;
    labels.push_back(label);
    head value;
    if (entries.next(value) != members::step::item) return false;
    const bool known = !label.text && ((label.number >= 1 && label.number <= 5) ||
                                       label.number == -1 || label.number == -2 ||
                                       label.number == -4);
    if (!known) {
      if (!cbor::skip_value(r, value, inner)) return false;
      continue;
    }
    scalar v;
    if (label.number == 4) {  // key_ops: [+ (tstr / int)], registered, unique
      if (value.type != item_type::array || inner + 1 > cbor::max_depth) return false;
      members ops(r, value);
      ops.array_mode();
      std::vector<label_key> seen;
      head e;
      for (;;) {
        const auto s = ops.next_element(e);
        if (s == members::step::end) break;
        if (s == members::step::error) return false;
        scalar op;
        label_key op_label;
        if (!cbor::read_scalar(r, e, inner + 1, st, op) || !to_label(op, op_label)) return false;
        // IANA key operations 1 (sign) .. 10 (MAC verify); no private range.
        if (!op_label.text && (op_label.number < 1 || op_label.number > 10)) return false;
        seen.push_back(op_label);
      }
      if (seen.empty() || !all_distinct(seen)) return false;
      continue;
    }
    if (!cbor::read_scalar(r, value, inner, st, v)) return false;
    switch (label.number) {
      case 1:  // kty: registered int (1..7; 0 is "Reserved" = absent) or tstr
        if (v.k == scalar::kind::text) {
          out.kty_is_int = false;
        } else if (v.as_i64(out.kty) && out.kty >= 1 && out.kty <= 7) {
          out.kty_is_int = true;
        } else {
          return false;
        }
        kty_present = true;
        break;
      case 2:  // kid
      case 5:  // base IV
        if (v.k != scalar::kind::bytes || v.data.empty()) return false;
        break;
      case 3:  // alg: int / tstr
        if (v.k == scalar::kind::text) {
          out.has_alg = true;
          out.alg_is_int = false;
        } else if (v.as_i64(out.alg)) {
          out.has_alg = true;
          out.alg_is_int = true;
        } else {
          return false;
        }
        break;
      case -1:
        if (v.k == scalar::kind::bytes) out.minus1 = v.data;
        break;
      case -2:
        if (v.k == scalar::kind::bytes) out.minus2 = v.data;
        break;
      case -4:
        if (v.k == scalar::kind::bytes) out.minus4 = v.data;
        break;
      default:
        break;
    }
  }
  if (!r.at_end()) return false;
  if (!all_distinct(labels)) return false;
  return kty_present;
}

}  // namespace detail

const char* to_string(auth_failure f) noexcept {
  switch (f) {
    case auth_failure::none:
      return "none";
    case auth_failure::cbor:
      return "cbor";
    case auth_failure::alg:
      return "alg";
    case auth_failure::payload:
      return "payload";
    case auth_failure::identity:
      return "identity";
    case auth_failure::signature:
      return "signature";
  }
  return "unknown";
}

std::optional<public_key> parse_identity_key(byte_span cose_key_bytes) noexcept {
  try {
    string_storage st;
    detail::cose_key_fields key;
    if (!detail::parse_cose_key(cose_key_bytes, st, key)) return std::nullopt;
    if (!key.has_alg || !key.alg_is_int || !supported_alg(key.alg)) return std::nullopt;
    public_key pk;
    if (!extract_public_key(key, key.alg, pk)) return std::nullopt;
    return pk;
  } catch (...) {
    return std::nullopt;
  }
}

fingerprint fingerprint_of(const public_key& key) noexcept {
  crypto_init();
  return sha256(key.bytes);
}

auth_failure verify_challenge_response(const challenge& issued, byte_span cose_key_bytes,
                                       byte_span cose_sign1_bytes,
                                       verified_identity& out) noexcept {
  if (!crypto_init()) return auth_failure::signature;
  try {
    return verify_steps(issued, cose_key_bytes, cose_sign1_bytes, out);
  } catch (...) {
    // Only std::bad_alloc can get here; refuse rather than guess a step.
    return auth_failure::cbor;
  }
}

}  // namespace relay::protocol
