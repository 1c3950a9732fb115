// The JSON codec of the relay's `Messages` enum.
//
// A hand-written, schema-directed, single-pass decoder that reproduces the
// acceptance rules of `serde_json::from_str::<Messages>` (serde derive
// defaults, externally tagged enum), and an encoder that writes exactly the
// compact bytes of `serde_json::to_string`.
//
// What serde_json does, and therefore what this file does:
//  * whitespace is only space, tab, LF and CR; nothing may follow the value;
//  * the top level is a string (unit variant) or an object with exactly one
//    key (the variant); a unit variant may also be written `{"V":null}`;
//  * derived structs accept a JSON object (unknown keys ignored, known keys at
//    most once, `Option` fields may be absent or null) or a JSON array of all
//    fields in declaration order;
//  * keys are decoded (escapes, surrogate pairs) before they are matched, and
//    must be valid strings (no lone surrogates);
//  * u8 accepts only a plain non-negative integer <= 255 (no fraction, no
//    exponent, no -0; anything beyond u64 is a float to serde_json);
//  * [u8; 32] needs exactly 32 elements; newtype structs are transparent;
//  * ignored values (unknown fields) are only syntax-checked, like serde_json's
//    `ignore_value`: any number, `\u` escapes are not checked for surrogates,
//    and nesting depth is unlimited. They are skipped iteratively with a bit
//    stack (one bit per open bracket), so the decoder's stack never grows with
//    the input and its heap at most by depth/8 bytes.
//
// Nothing here recurses per nesting level of the input: the schema has a fixed
// depth (at most 4), and ignored values use the iterative skipper.
#include "relay/protocol/json_codec.hpp"

#include <array>
#include <cstring>
#include <new>
#include <optional>
#include <variant>
#include <vector>

namespace relay::protocol {

const char* to_string(decode_error e) noexcept {
  switch (e) {
    case decode_error::none: return "none";
    case decode_error::syntax: return "syntax";
    case decode_error::not_an_enum: return "not_an_enum";
    case decode_error::unknown_variant: return "unknown_variant";
    case decode_error::wrong_shape: return "wrong_shape";
    case decode_error::missing_field: return "missing_field";
    case decode_error::duplicate_field: return "duplicate_field";
    case decode_error::invalid_value: return "invalid_value";
  }
  return "unknown";
}

namespace {

using de = decode_error;

// ---------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------

constexpr std::string_view k_auth_challenge = "AuthChallenge";
constexpr std::string_view k_auth_response = "AuthResponse";
constexpr std::string_view k_get_rendezvous_seed = "GetRendevouz";
constexpr std::string_view k_get_rendezvous_current = "GetRendezvous";
constexpr std::string_view k_rendezvous_info_seed = "RendevouzInfo";
constexpr std::string_view k_rendezvous_info_current = "RendezvousInfo";
constexpr std::string_view k_get_identity = "GetIdentity";
constexpr std::string_view k_identity_info = "IdentityInfo";
constexpr std::string_view k_send = "Send";

enum class variant_id : std::uint8_t {
  auth_challenge,
  auth_response,
  get_rendezvous_seed,
  get_rendezvous_current,
  rendezvous_info_seed,
  rendezvous_info_current,
  get_identity,
  identity_info,
  send,
  unknown,
};

variant_id classify_variant(std::string_view n) noexcept {
  switch (n.size()) {
    case 4:
      if (n == k_send) return variant_id::send;
      break;
    case 11:
      if (n == k_get_identity) return variant_id::get_identity;
      break;
    case 12:
      if (n == k_auth_response) return variant_id::auth_response;
      if (n == k_get_rendezvous_seed) return variant_id::get_rendezvous_seed;
      if (n == k_identity_info) return variant_id::identity_info;
      break;
    case 13:
      if (n == k_auth_challenge) return variant_id::auth_challenge;
      if (n == k_get_rendezvous_current) return variant_id::get_rendezvous_current;
      if (n == k_rendezvous_info_seed) return variant_id::rendezvous_info_seed;
      break;
    case 14:
      if (n == k_rendezvous_info_current) return variant_id::rendezvous_info_current;
      break;
    default:
      break;
  }
  return variant_id::unknown;
}

// ---------------------------------------------------------------------------
// Character helpers
// ---------------------------------------------------------------------------

inline bool is_ws(unsigned char c) noexcept {
  return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}

inline const char* skip_ws(const char* p, const char* end) noexcept {
  while (p < end && is_ws(static_cast<unsigned char>(*p))) ++p;
  return p;
}

inline bool is_digit(unsigned char c) noexcept { return static_cast<unsigned>(c - '0') < 10u; }

inline int hex_value(unsigned char c) noexcept {
  if (static_cast<unsigned>(c - '0') < 10u) return c - '0';
  if (static_cast<unsigned>(c - 'a') < 6u) return c - 'a' + 10;
  if (static_cast<unsigned>(c - 'A') < 6u) return c - 'A' + 10;
  return -1;
}

/// Length of the well-formed UTF-8 sequence at `p` (whose first byte is
/// >= 0x80), or 0 if it is not one (overlong, surrogate, > U+10FFFF, cut).
inline std::size_t utf8_sequence(const unsigned char* p, const unsigned char* end) noexcept {
  const unsigned c = p[0];
  const std::size_t avail = static_cast<std::size_t>(end - p);
  auto cont = [&](std::size_t i) { return (p[i] & 0xC0u) == 0x80u; };
  if (c < 0xC2) return 0;
  if (c < 0xE0) return (avail >= 2 && cont(1)) ? 2 : 0;
  if (c < 0xF0) {
    if (avail < 3 || !cont(1) || !cont(2)) return 0;
    if (c == 0xE0 && p[1] < 0xA0) return 0;   // overlong
    if (c == 0xED && p[1] >= 0xA0) return 0;  // UTF-16 surrogate
    return 3;
  }
  if (c < 0xF5) {
    if (avail < 4 || !cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xF0 && p[1] < 0x90) return 0;   // overlong
    if (c == 0xF4 && p[1] >= 0x90) return 0;  // > U+10FFFF
    return 4;
  }
  return 0;
}

inline void append_utf8(std::string& out, std::uint32_t cp) {
  char buf[4];
  std::size_t n;
  if (cp < 0x80) {
    buf[0] = static_cast<char>(cp);
    n = 1;
  } else if (cp < 0x800) {
    buf[0] = static_cast<char>(0xC0 | (cp >> 6));
    buf[1] = static_cast<char>(0x80 | (cp & 0x3F));
    n = 2;
  } else if (cp < 0x10000) {
    buf[0] = static_cast<char>(0xE0 | (cp >> 12));
    buf[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    buf[2] = static_cast<char>(0x80 | (cp & 0x3F));
    n = 3;
  } else {
    buf[0] = static_cast<char>(0xF0 | (cp >> 18));
    buf[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    buf[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    buf[3] = static_cast<char>(0x80 | (cp & 0x3F));
    n = 4;
  }
  out.append(buf, n);
}

/// What a value that should have been a u8 but is not one is: a negative
/// number is out of range, another JSON type is the wrong shape, anything
/// else is not JSON.
inline de element_error(const char* p, const char* end) noexcept {
  if (p >= end) return de::syntax;
  switch (*p) {
    case '-': return de::invalid_value;
    case '"': case '[': case '{': case 'n': case 't': case 'f': return de::wrong_shape;
    default: return de::syntax;
  }
}

/// The elements of a u8 array; `pp` points just after '['. Writes at most
/// `cap` bytes to `dst` (one more element is an error), sets `count`, and
/// leaves `pp` after the closing ']'. The common compact form ("12,255,7]")
/// takes a branch-light fast path: up to three digits are classified at once.
de parse_u8_elements(const char*& pp, const char* end, std::uint8_t* dst, std::size_t cap,
                     std::size_t& count) noexcept {
  const char* p = skip_ws(pp, end);
  std::size_t n = 0;
  if (p < end && *p == ']') {
    pp = p + 1;
    count = 0;
    return de::none;
  }
  for (;;) {
    unsigned v;
    if (end - p >= 4) [[likely]] {
      const auto* u = reinterpret_cast<const unsigned char*>(p);
      const unsigned d0 = u[0] - unsigned{'0'};
      const unsigned d1 = u[1] - unsigned{'0'};
      const unsigned d2 = u[2] - unsigned{'0'};
      const unsigned d3 = u[3] - unsigned{'0'};
      if (d0 > 9) return element_error(p, end);
      const unsigned i1 = d1 <= 9;
      const unsigned i2 = i1 & (d2 <= 9);
      const unsigned i3 = i2 & (d3 <= 9);
      if ((i3 | ((d0 == 0) & i1)) != 0) [[unlikely]] {
        // Four or more digits (> 255, or a float to serde_json), or a
        // leading zero (not JSON).
        return i3 && d0 != 0 ? de::invalid_value : de::syntax;
      }
      // Select d0, d0d1 or d0d1d2 with masks, not branches: the digit count
      // of random bytes is unpredictable, and a mispredicted branch per
      // element costs more than the whole computation.
      const unsigned v1 = d0 * 10 + d1;
      const unsigned v2 = v1 * 10 + d2;
      v = d0 + ((v1 - d0) & (0u - i1)) + ((v2 - v1) & (0u - i2));
      p += 1 + i1 + i2;
    } else {
      if (p >= end || !is_digit(static_cast<unsigned char>(*p))) return element_error(p, end);
      v = static_cast<unsigned>(*p - '0');
      ++p;
      if (v == 0) {
        if (p < end && is_digit(static_cast<unsigned char>(*p))) return de::syntax;
      } else {
        while (p < end && is_digit(static_cast<unsigned char>(*p))) {
          v = v * 10 + static_cast<unsigned>(*p - '0');
          if (v > 255) return de::invalid_value;
          ++p;
        }
      }
    }
    if (v > 255) [[unlikely]] return de::invalid_value;
    if (n == cap) [[unlikely]] return de::invalid_value;
    dst[n++] = static_cast<std::uint8_t>(v);

    if (p >= end) return de::syntax;
    char c = *p;
    if (c == ',') [[likely]] {
      ++p;
      if (p < end && is_ws(static_cast<unsigned char>(*p))) p = skip_ws(p, end);
      continue;
    }
    if (c == ']') {
      ++p;
      break;
    }
    if (c == '.' || c == 'e' || c == 'E') return de::invalid_value;  // a float
    p = skip_ws(p, end);
    if (p >= end) return de::syntax;
    c = *p;
    if (c == ',') {
      p = skip_ws(p + 1, end);
      continue;
    }
    if (c == ']') {
      ++p;
      break;
    }
    return de::syntax;
  }
  pp = p;
  count = n;
  return de::none;
}

// ---------------------------------------------------------------------------
// The decoder
// ---------------------------------------------------------------------------

class decoder {
 public:
  explicit decoder(std::string_view text) noexcept
      : p_(text.data()), end_(text.data() + text.size()) {}

  de run(message& out);

 private:
  const char* p_;
  const char* end_;
  std::string key_buf_;

  unsigned char peek() const noexcept {
    return p_ < end_ ? static_cast<unsigned char>(*p_) : 0;
  }
  void ws() noexcept { p_ = skip_ws(p_, end_); }

  bool literal(std::string_view lit) noexcept {
    if (static_cast<std::size_t>(end_ - p_) < lit.size() ||
        std::memcmp(p_, lit.data(), lit.size()) != 0) {
      return false;
    }
    p_ += lit.size();
    return true;
  }

  // -- strings ---------------------------------------------------------------

  de read_hex4(std::uint32_t& v) noexcept {
    if (end_ - p_ < 4) return de::syntax;
    v = 0;
    for (int i = 0; i < 4; ++i) {
      const int h = hex_value(static_cast<unsigned char>(p_[i]));
      if (h < 0) return de::syntax;
      v = (v << 4) | static_cast<std::uint32_t>(h);
    }
    p_ += 4;
    return de::none;
  }

  /// One escape (after the backslash) of a string being decoded, with
  /// serde_json's validating rules: surrogates must come in proper pairs.
  de decode_escape(std::string& buf) {
    if (p_ >= end_) return de::syntax;
    const char c = *p_++;
    switch (c) {
      case '"': buf.push_back('"'); return de::none;
      case '\\': buf.push_back('\\'); return de::none;
      case '/': buf.push_back('/'); return de::none;
      case 'b': buf.push_back('\b'); return de::none;
      case 'f': buf.push_back('\f'); return de::none;
      case 'n': buf.push_back('\n'); return de::none;
      case 'r': buf.push_back('\r'); return de::none;
      case 't': buf.push_back('\t'); return de::none;
      case 'u': break;
      default: return de::syntax;
    }
    std::uint32_t n;
    if (auto e = read_hex4(n); e != de::none) return e;
    if (n >= 0xDC00 && n <= 0xDFFF) return de::syntax;  // lone trailing surrogate
    if (n >= 0xD800 && n <= 0xDBFF) {
      if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') return de::syntax;
      p_ += 2;
      std::uint32_t n2;
      if (auto e = read_hex4(n2); e != de::none) return e;
      if (n2 < 0xDC00 || n2 > 0xDFFF) return de::syntax;
      n = (((n - 0xD800) << 10) | (n2 - 0xDC00)) + 0x10000;
    }
    append_utf8(buf, n);
    return de::none;
  }

  /// A string whose opening quote has been consumed. Without escapes the
  /// result is a view of the input; otherwise it is decoded into `buf` and
  /// the view points there.
  de parse_string(std::string& buf, std::string_view& result) {
    const char* start = p_;
    while (p_ < end_) {
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        result = std::string_view(start, static_cast<std::size_t>(p_ - start));
        ++p_;
        return de::none;
      }
      if (c == '\\') break;
      if (c < 0x20) return de::syntax;
      if (c < 0x80) {
        ++p_;
        continue;
      }
      const std::size_t n = utf8_sequence(reinterpret_cast<const unsigned char*>(p_),
                                          reinterpret_cast<const unsigned char*>(end_));
      if (n == 0) return de::syntax;
      p_ += n;
    }
    if (p_ >= end_) return de::syntax;
    buf.assign(start, p_);
    for (;;) {
      if (p_ >= end_) return de::syntax;
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        ++p_;
        result = buf;
        return de::none;
      }
      if (c == '\\') {
        ++p_;
        if (auto e = decode_escape(buf); e != de::none) return e;
      } else if (c < 0x20) {
        return de::syntax;
      } else if (c < 0x80) {
        buf.push_back(static_cast<char>(c));
        ++p_;
      } else {
        const std::size_t n = utf8_sequence(reinterpret_cast<const unsigned char*>(p_),
                                            reinterpret_cast<const unsigned char*>(end_));
        if (n == 0) return de::syntax;
        buf.append(p_, n);
        p_ += n;
      }
    }
  }

  /// Skips a string whose opening quote has been consumed, the way
  /// serde_json's `ignore_str` does: escapes must be well formed, but `\u`
  /// surrogates are not checked.
  de skip_string() noexcept {
    while (p_ < end_) {
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        ++p_;
        return de::none;
      }
      if (c == '\\') {
        ++p_;
        if (p_ >= end_) return de::syntax;
        switch (*p_++) {
          case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
            break;
          case 'u': {
            std::uint32_t v;
            if (auto e = read_hex4(v); e != de::none) return e;
            break;
          }
          default:
            return de::syntax;
        }
      } else if (c < 0x20) {
        return de::syntax;
      } else if (c < 0x80) {
        ++p_;
      } else {
        const std::size_t n = utf8_sequence(reinterpret_cast<const unsigned char*>(p_),
                                            reinterpret_cast<const unsigned char*>(end_));
        if (n == 0) return de::syntax;
        p_ += n;
      }
    }
    return de::syntax;
  }

  /// A string value the schema wants (the rendezvous code).
  de parse_string_value(std::string& out) {
    if (peek() != '"') return element_error(p_, end_) == de::syntax ? de::syntax : de::wrong_shape;
    ++p_;
    std::string_view v;
    if (auto e = parse_string(out, v); e != de::none) return e;
    if (v.data() != out.data()) out.assign(v);
    return de::none;
  }

  // -- ignored values ----------------------------------------------------------

  /// JSON number grammar, no range check (serde_json's `ignore_integer`).
  de skip_number() noexcept {
    if (peek() == '-') ++p_;
    const unsigned char first = peek();
    if (first == '0') {
      ++p_;
      if (is_digit(peek())) return de::syntax;
    } else if (is_digit(first)) {
      while (is_digit(peek())) ++p_;
    } else {
      return de::syntax;
    }
    if (peek() == '.') {
      ++p_;
      if (!is_digit(peek())) return de::syntax;
      while (is_digit(peek())) ++p_;
    }
    if (peek() == 'e' || peek() == 'E') {
      ++p_;
      if (peek() == '+' || peek() == '-') ++p_;
      if (!is_digit(peek())) return de::syntax;
      while (is_digit(peek())) ++p_;
    }
    return de::none;
  }

  /// `"key"` `:` inside an ignored object.
  de skip_key_colon() noexcept {
    ws();
    if (peek() != '"') return de::syntax;
    ++p_;
    if (auto e = skip_string(); e != de::none) return e;
    ws();
    if (peek() != ':') return de::syntax;
    ++p_;
    return de::none;
  }

  /// Skips any one JSON value without recursion (serde_json's
  /// `ignore_value`). The kind of each open bracket is one bit: the first
  /// 256 levels live on the stack, deeper ones in a vector (depth/8 bytes,
  /// and depth <= input length).
  de skip_value() {
    std::size_t depth = 0;
    std::uint64_t near_bits[4] = {0, 0, 0, 0};
    std::vector<std::uint64_t> far_bits;
    auto word = [&](std::size_t level) -> std::uint64_t& {
      const std::size_t w = level >> 6;
      return w < 4 ? near_bits[w] : far_bits[w - 4];
    };
    auto push = [&](bool object) {
      const std::size_t w = depth >> 6;
      if (w >= 4 && w - 4 == far_bits.size()) far_bits.push_back(0);
      const std::uint64_t bit = std::uint64_t{1} << (depth & 63);
      std::uint64_t& slot = word(depth);
      slot = object ? (slot | bit) : (slot & ~bit);
      ++depth;
    };
    auto top_is_object = [&]() -> bool {
      return (word(depth - 1) >> ((depth - 1) & 63)) & 1u;
    };

    for (;;) {
      // A value starts here.
      ws();
      const unsigned char c = peek();
      switch (c) {
        case 'n':
          if (!literal("null")) return de::syntax;
          break;
        case 't':
          if (!literal("true")) return de::syntax;
          break;
        case 'f':
          if (!literal("false")) return de::syntax;
          break;
        case '"':
          ++p_;
          if (auto e = skip_string(); e != de::none) return e;
          break;
        case '-': case '0': case '1': case '2': case '3': case '4':
        case '5': case '6': case '7': case '8': case '9':
          if (auto e = skip_number(); e != de::none) return e;
          break;
        case '[':
        case '{': {
          ++p_;
          const bool object = c == '{';
          ws();
          if (peek() == (object ? '}' : ']')) {
            ++p_;  // an empty container is a complete value
            break;
          }
          push(object);
          if (object) {
            if (auto e = skip_key_colon(); e != de::none) return e;
          }
          continue;  // its first value starts next
        }
        default:
          return de::syntax;
      }
      // A value ended: close brackets until a comma leads to the next value.
      for (;;) {
        if (depth == 0) return de::none;
        ws();
        const bool object = top_is_object();
        const unsigned char d = peek();
        if (d == ',') {
          ++p_;
          if (object) {
            if (auto e = skip_key_colon(); e != de::none) return e;
          }
          break;
        }
        if (d == (object ? '}' : ']')) {
          ++p_;
          --depth;
          continue;
        }
        return de::syntax;
      }
    }
  }

  // -- typed values ------------------------------------------------------------

  de parse_fixed(std::uint8_t* dst, std::size_t size) noexcept {
    if (peek() != '[') return element_error(p_, end_) == de::syntax ? de::syntax : de::wrong_shape;
    ++p_;
    std::size_t count = 0;
    if (auto e = parse_u8_elements(p_, end_, dst, size, count); e != de::none) return e;
    return count == size ? de::none : de::invalid_value;
  }

  template <std::size_t N>
  de parse_fixed(std::array<std::uint8_t, N>& out) noexcept {
    return parse_fixed(out.data(), N);
  }

  de parse_bytes(byte_vector& out) {
    if (peek() != '[') return element_error(p_, end_) == de::syntax ? de::syntax : de::wrong_shape;
    ++p_;
    // n elements take at least 2n characters ("d," ... "d]"): an upper bound
    // that never exceeds half the remaining input.
    const std::size_t cap = static_cast<std::size_t>(end_ - p_) / 2 + 1;
    out.resize(cap);
    std::size_t count = 0;
    const de e = parse_u8_elements(p_, end_, out.data(), cap, count);
    out.resize(e == de::none ? count : 0);
    return e;
  }

  /// A derived struct as a map: `on_field(key)` consumes the value of each
  /// key (returning an error for duplicates); the object's braces, commas
  /// and colons are handled here. `p_` is at '{'.
  template <class OnField>
  de parse_map(OnField&& on_field) {
    ++p_;
    ws();
    if (peek() == '}') {
      ++p_;
      return de::none;
    }
    for (;;) {
      if (peek() != '"') return de::syntax;
      ++p_;
      std::string_view key;
      if (auto e = parse_string(key_buf_, key); e != de::none) return e;
      ws();
      if (peek() != ':') return de::syntax;
      ++p_;
      ws();
      if (auto e = on_field(key); e != de::none) return e;
      ws();
      const unsigned char c = peek();
      if (c == ',') {
        ++p_;
        ws();
        continue;
      }
      if (c == '}') {
        ++p_;
        return de::none;
      }
      return de::syntax;
    }
  }

  /// A derived struct (or tuple variant) as a sequence of exactly N
  /// elements: `element(i)` consumes element i. `p_` is at '['.
  template <class Element>
  de parse_seq(std::size_t n, Element&& element) {
    ++p_;
    ws();
    for (std::size_t i = 0; i < n; ++i) {
      if (i > 0) {
        const unsigned char c = peek();
        if (c == ']') return de::missing_field;
        if (c != ',') return de::syntax;
        ++p_;
        ws();
      }
      if (peek() == ']') return i == 0 ? de::missing_field : de::syntax;
      if (auto e = element(i); e != de::none) return e;
      ws();
    }
    const unsigned char c = peek();
    if (c == ']') {
      ++p_;
      return de::none;
    }
    return c == ',' ? de::invalid_value : de::syntax;
  }

  de struct_start_error() noexcept {
    return element_error(p_, end_) == de::syntax ? de::syntax : de::wrong_shape;
  }

  /// struct RendezvousCode { code: String }
  de parse_code_struct(std::string& code) {
    ws();
    const unsigned char c = peek();
    if (c == '[') return parse_seq(1, [&](std::size_t) { return parse_string_value(code); });
    if (c != '{') return struct_start_error();
    bool seen = false;
    if (auto e = parse_map([&](std::string_view key) -> de {
          if (key == "code") {
            if (seen) return de::duplicate_field;
            seen = true;
            return parse_string_value(code);
          }
          return skip_value();
        });
        e != de::none) {
      return e;
    }
    return seen ? de::none : de::missing_field;
  }

  /// struct Identity { cose_key_bytes: Vec<u8> } and
  /// struct ChallengeResponse { cose_sign1_bytes: Vec<u8> }.
  de parse_bytes_struct(std::string_view field, byte_vector& bytes) {
    ws();
    const unsigned char c = peek();
    if (c == '[') return parse_seq(1, [&](std::size_t) { return parse_bytes(bytes); });
    if (c != '{') return struct_start_error();
    bool seen = false;
    if (auto e = parse_map([&](std::string_view key) -> de {
          if (key == field) {
            if (seen) return de::duplicate_field;
            seen = true;
            return parse_bytes(bytes);
          }
          return skip_value();
        });
        e != de::none) {
      return e;
    }
    return seen ? de::none : de::missing_field;
  }

  /// struct IdentityInfo { fingerprint: [u8; 32], identity: Identity }
  de parse_identity_info(identity_info& info) {
    ws();
    const unsigned char c = peek();
    if (c == '[') {
      return parse_seq(2, [&](std::size_t i) {
        return i == 0 ? parse_fixed(info.fp) : parse_bytes_struct("cose_key_bytes", info.id.cose_key_bytes);
      });
    }
    if (c != '{') return struct_start_error();
    unsigned seen = 0;
    if (auto e = parse_map([&](std::string_view key) -> de {
          if (key == "fingerprint") {
            if (seen & 1u) return de::duplicate_field;
            seen |= 1u;
            return parse_fixed(info.fp);
          }
          if (key == "identity") {
            if (seen & 2u) return de::duplicate_field;
            seen |= 2u;
            return parse_bytes_struct("cose_key_bytes", info.id.cose_key_bytes);
          }
          return skip_value();
        });
        e != de::none) {
      return e;
    }
    return seen == 3u ? de::none : de::missing_field;
  }

  /// Option<[u8; 32]>: null or the array.
  de parse_source(std::optional<fingerprint>& source) {
    if (peek() == 'n') {
      if (!literal("null")) return de::syntax;
      source.reset();
      return de::none;
    }
    if (!source) source.emplace();
    return parse_fixed(*source);
  }

  /// struct SendMessage { source: Option<[u8;32]>, destination: [u8;32], payload: Vec<u8> }
  de parse_send(send& s) {
    ws();
    const unsigned char c = peek();
    if (c == '[') {
      return parse_seq(3, [&](std::size_t i) -> de {
        switch (i) {
          case 0: return parse_source(s.source);
          case 1: return parse_fixed(s.destination);
          default: return parse_bytes(s.payload);
        }
      });
    }
    if (c != '{') return struct_start_error();
    unsigned seen = 0;
    if (auto e = parse_map([&](std::string_view key) -> de {
          switch (key.size()) {
            case 6:
              if (key == "source") {
                if (seen & 1u) return de::duplicate_field;
                seen |= 1u;
                return parse_source(s.source);
              }
              break;
            case 11:
              if (key == "destination") {
                if (seen & 2u) return de::duplicate_field;
                seen |= 2u;
                return parse_fixed(s.destination);
              }
              break;
            case 7:
              if (key == "payload") {
                if (seen & 4u) return de::duplicate_field;
                seen |= 4u;
                return parse_bytes(s.payload);
              }
              break;
            default:
              break;
          }
          return skip_value();
        });
        e != de::none) {
      return e;
    }
    if ((seen & 6u) != 6u) return de::missing_field;
    if (!(seen & 1u)) s.source.reset();  // a missing Option is None
    return de::none;
  }

  template <class T>
  static T& reuse(message& out) {
    if (T* existing = std::get_if<T>(&out)) return *existing;
    return out.emplace<T>();
  }

  de parse_variant_value(variant_id id, message& out);
};

de decoder::parse_variant_value(variant_id id, message& out) {
  ws();
  switch (id) {
    case variant_id::auth_challenge: {
      auto& m = reuse<auth_challenge>(out);
      return parse_fixed(m.value);
    }
    case variant_id::auth_response: {
      // A tuple variant: always a 2-element sequence.
      if (peek() != '[') return struct_start_error();
      auto& m = reuse<auth_response>(out);
      return parse_seq(2, [&](std::size_t i) {
        return i == 0 ? parse_bytes_struct("cose_key_bytes", m.id.cose_key_bytes)
                      : parse_bytes_struct("cose_sign1_bytes", m.cose_sign1_bytes);
      });
    }
    case variant_id::get_rendezvous_seed:
    case variant_id::get_rendezvous_current: {
      // A unit variant inside an object: the value must be null.
      if (peek() != 'n') return struct_start_error();
      if (!literal("null")) return de::syntax;
      out.emplace<get_rendezvous>().variant = id == variant_id::get_rendezvous_seed
                                                  ? spelling::seed
                                                  : spelling::current;
      return de::none;
    }
    case variant_id::rendezvous_info_seed:
    case variant_id::rendezvous_info_current: {
      auto& m = reuse<rendezvous_info>(out);
      m.variant = id == variant_id::rendezvous_info_seed ? spelling::seed : spelling::current;
      return parse_code_struct(m.code);
    }
    case variant_id::get_identity:
      return parse_code_struct(reuse<get_identity>(out).code);
    case variant_id::identity_info:
      return parse_identity_info(reuse<identity_info>(out));
    case variant_id::send:
      return parse_send(reuse<send>(out));
    case variant_id::unknown:
      break;
  }
  return de::unknown_variant;
}

de decoder::run(message& out) {
  ws();
  const unsigned char c = peek();
  if (c == '"') {
    // A unit variant written as a bare string.
    ++p_;
    std::string_view name;
    if (auto e = parse_string(key_buf_, name); e != de::none) return e;
    const variant_id id = classify_variant(name);
    if (id == variant_id::unknown) return de::unknown_variant;
    if (id != variant_id::get_rendezvous_seed && id != variant_id::get_rendezvous_current) {
      return de::wrong_shape;  // a newtype/tuple variant needs a value
    }
    ws();
    if (p_ != end_) return de::syntax;
    out.emplace<get_rendezvous>().variant =
        id == variant_id::get_rendezvous_seed ? spelling::seed : spelling::current;
    return de::none;
  }
  if (c != '{') {
    // Another JSON value is not an enum; anything else is not JSON at all.
    const bool value_start = c == '[' || c == 'n' || c == 't' || c == 'f' || c == '-' || is_digit(c);
    return value_start ? de::not_an_enum : de::syntax;
  }
  ++p_;
  ws();
  if (peek() != '"') return peek() == '}' ? de::not_an_enum : de::syntax;
  ++p_;
  std::string_view name;
  if (auto e = parse_string(key_buf_, name); e != de::none) return e;
  const variant_id id = classify_variant(name);
  if (id == variant_id::unknown) return de::unknown_variant;
  ws();
  if (peek() != ':') return de::syntax;
  ++p_;
  if (auto e = parse_variant_value(id, out); e != de::none) return e;
  ws();
  if (peek() != '}') return peek() == ',' ? de::not_an_enum : de::syntax;
  ++p_;
  ws();
  return p_ == end_ ? de::none : de::syntax;
}

// ---------------------------------------------------------------------------
// The encoder
// ---------------------------------------------------------------------------

/// "0," .. "255,": the decimal digits of each byte followed by a comma,
/// padded to 4 bytes so each element is one fixed-size copy.
struct decimal_entry {
  char text[4];
  std::uint8_t size;  // digits + comma
};

constexpr std::array<decimal_entry, 256> make_decimal_table() {
  std::array<decimal_entry, 256> table{};
  for (unsigned v = 0; v < 256; ++v) {
    decimal_entry e{{0, 0, 0, 0}, 0};
    std::uint8_t n = 0;
    if (v >= 100) e.text[n++] = static_cast<char>('0' + v / 100);
    if (v >= 10) e.text[n++] = static_cast<char>('0' + (v / 10) % 10);
    e.text[n++] = static_cast<char>('0' + v % 10);
    e.text[n++] = ',';
    e.size = n;
    table[v] = e;
  }
  return table;
}

constexpr std::array<decimal_entry, 256> k_decimal = make_decimal_table();

/// Worst-case size of an encoded byte array: "[" + 4 per element + "]".
constexpr std::size_t bytes_bound(std::size_t n) { return 4 * n + 2; }

/// Worst-case size of an encoded string: every byte as \u00XX.
constexpr std::size_t string_bound(std::size_t n) { return 6 * n + 2; }

inline char* put(char* w, std::string_view s) noexcept {
  std::memcpy(w, s.data(), s.size());
  return w + s.size();
}

/// Writes "[b0,b1,...]". Each element is a 4-byte copy advanced by its true
/// size; since an element never needs more than 4 bytes, the copies stay
/// within bytes_bound(n).
inline char* put_bytes(char* w, const std::uint8_t* b, std::size_t n) noexcept {
  *w++ = '[';
  if (n == 0) {
    *w++ = ']';
    return w;
  }
  for (std::size_t i = 0; i < n; ++i) {
    const decimal_entry& e = k_decimal[b[i]];
    std::memcpy(w, e.text, 4);
    w += e.size;
  }
  w[-1] = ']';  // the last comma
  return w;
}

template <std::size_t N>
inline char* put_bytes(char* w, const std::array<std::uint8_t, N>& a) noexcept {
  return put_bytes(w, a.data(), N);
}

inline char* put_bytes(char* w, const byte_vector& v) noexcept {
  return put_bytes(w, v.data(), v.size());
}

/// A JSON string the way serde_json writes it: `"` and `\` escaped, control
/// characters as \b \t \n \f \r or \u00xx (lower-case hex), everything else
/// (including DEL and non-ASCII) verbatim.
inline char* put_string(char* w, std::string_view s) noexcept {
  static constexpr char hex[] = "0123456789abcdef";
  *w++ = '"';
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c != '"' && c != '\\') {
      *w++ = ch;
      continue;
    }
    *w++ = '\\';
    switch (c) {
      case '"': *w++ = '"'; break;
      case '\\': *w++ = '\\'; break;
      case '\b': *w++ = 'b'; break;
      case '\t': *w++ = 't'; break;
      case '\n': *w++ = 'n'; break;
      case '\f': *w++ = 'f'; break;
      case '\r': *w++ = 'r'; break;
      default:
        *w++ = 'u';
        *w++ = '0';
        *w++ = '0';
        *w++ = hex[c >> 4];
        *w++ = hex[c & 0xF];
        break;
    }
  }
  *w++ = '"';
  return w;
}

inline std::string_view get_rendezvous_name(spelling s) noexcept {
  return s == spelling::seed ? k_get_rendezvous_seed : k_get_rendezvous_current;
}

inline std::string_view rendezvous_info_name(spelling s) noexcept {
  return s == spelling::seed ? k_rendezvous_info_seed : k_rendezvous_info_current;
}

/// Upper bound of the encoded size of each message.
struct bound_visitor {
  std::size_t operator()(const auth_challenge&) const {
    return 64 + bytes_bound(challenge_size);
  }
  std::size_t operator()(const auth_response& m) const {
    return 96 + bytes_bound(m.id.cose_key_bytes.size()) + bytes_bound(m.cose_sign1_bytes.size());
  }
  std::size_t operator()(const get_rendezvous&) const { return 32; }
  std::size_t operator()(const rendezvous_info& m) const { return 64 + string_bound(m.code.size()); }
  std::size_t operator()(const get_identity& m) const { return 64 + string_bound(m.code.size()); }
  std::size_t operator()(const identity_info& m) const {
    return 96 + bytes_bound(fingerprint_size) + bytes_bound(m.id.cose_key_bytes.size());
  }
  std::size_t operator()(const send& m) const {
    return 96 + 2 * bytes_bound(fingerprint_size) + bytes_bound(m.payload.size());
  }
};

struct write_visitor {
  char* w;

  char* operator()(const auth_challenge& m) const {
    char* o = put(w, "{\"AuthChallenge\":");
    o = put_bytes(o, m.value);
    *o++ = '}';
    return o;
  }
  char* operator()(const auth_response& m) const {
    char* o = put(w, "{\"AuthResponse\":[{\"cose_key_bytes\":");
    o = put_bytes(o, m.id.cose_key_bytes);
    o = put(o, "},{\"cose_sign1_bytes\":");
    o = put_bytes(o, m.cose_sign1_bytes);
    return put(o, "}]}");
  }
  char* operator()(const get_rendezvous& m) const {
    char* o = w;
    *o++ = '"';
    o = put(o, get_rendezvous_name(m.variant));
    *o++ = '"';
    return o;
  }
  char* operator()(const rendezvous_info& m) const {
    char* o = put(w, "{\"");
    o = put(o, rendezvous_info_name(m.variant));
    o = put(o, "\":{\"code\":");
    o = put_string(o, m.code);
    return put(o, "}}");
  }
  char* operator()(const get_identity& m) const {
    char* o = put(w, "{\"GetIdentity\":{\"code\":");
    o = put_string(o, m.code);
    return put(o, "}}");
  }
  char* operator()(const identity_info& m) const {
    char* o = put(w, "{\"IdentityInfo\":{\"fingerprint\":");
    o = put_bytes(o, m.fp);
    o = put(o, ",\"identity\":{\"cose_key_bytes\":");
    o = put_bytes(o, m.id.cose_key_bytes);
    return put(o, "}}}");
  }
  char* operator()(const send& m) const {
    char* o = put(w, "{\"Send\":{");
    if (m.source) {
      o = put(o, "\"source\":");
      o = put_bytes(o, *m.source);
      *o++ = ',';
    }
    o = put(o, "\"destination\":");
    o = put_bytes(o, m.destination);
    o = put(o, ",\"payload\":");
    o = put_bytes(o, m.payload);
    return put(o, "}}");
  }
};

}  // namespace

decode_error decode(std::string_view text, message& out) noexcept {
  try {
    decoder d(text);
    return d.run(out);
  } catch (...) {
    // Only std::bad_alloc can get here (a payload vector or a decoded
    // string that cannot be allocated); the frame is refused as a value
    // this process cannot hold.
    return decode_error::invalid_value;
  }
}

void encode_to(const message& msg, std::string& out) {
  const std::size_t old = out.size();
  const std::size_t bound = std::visit(bound_visitor{}, msg);
  out.resize(old + bound);  // the single reservation
  char* const base = out.data();
  char* const end = std::visit(write_visitor{base + old}, msg);
  out.resize(static_cast<std::size_t>(end - base));
}

std::string encode(const message& msg) {
  std::string out;
  encode_to(msg, out);
  return out;
}

}  // namespace relay::protocol
