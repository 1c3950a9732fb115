#include "cbor_reader.hpp"

#include "relay/protocol/utf8.hpp"

#include <array>

#include <cbor.h>

namespace relay::protocol::cbor {

namespace {

// The streaming decoder reports one item per call through these callbacks;
// the context records which one fired and with what argument.
struct decode_context {
  head* out = nullptr;
  bool fired = false;
};

decode_context& ctx_of(void* p) { return *static_cast<decode_context*>(p); }

void set(void* p, item_type t, std::uint64_t arg = 0, bool indefinite = false) {
  auto& c = ctx_of(p);
  c.fired = true;
  c.out->type = t;
  c.out->arg = arg;
  c.out->indefinite = indefinite;
  c.out->data = {};
}

void on_uint8(void* p, std::uint8_t v) { set(p, item_type::unsigned_int, v); }
void on_uint16(void* p, std::uint16_t v) { set(p, item_type::unsigned_int, v); }
void on_uint32(void* p, std::uint32_t v) { set(p, item_type::unsigned_int, v); }
void on_uint64(void* p, std::uint64_t v) { set(p, item_type::unsigned_int, v); }
void on_negint8(void* p, std::uint8_t v) { set(p, item_type::negative_int, v); }
void on_negint16(void* p, std::uint16_t v) { set(p, item_type::negative_int, v); }
void on_negint32(void* p, std::uint32_t v) { set(p, item_type::negative_int, v); }
void on_negint64(void* p, std::uint64_t v) { set(p, item_type::negative_int, v); }

// libcbor 0.8's header comments swap "definite" and "indefinite" here: the
// cbor_string_callback fires for a definite string with its payload, the
// simple callback for the start of an indefinite one.
void on_bytes(void* p, cbor_data data, std::size_t len) {
  set(p, item_type::bytes, len);
  ctx_of(p).out->data = byte_span{data, len};
}
void on_bytes_start(void* p) { set(p, item_type::bytes, 0, true); }
void on_text(void* p, cbor_data data, std::size_t len) {
  set(p, item_type::text, len);
  ctx_of(p).out->data = byte_span{data, len};
}
void on_text_start(void* p) { set(p, item_type::text, 0, true); }
void on_array(void* p, std::size_t n) { set(p, item_type::array, n); }
void on_indef_array(void* p) { set(p, item_type::array, 0, true); }
void on_map(void* p, std::size_t n) { set(p, item_type::map, n); }
void on_indef_map(void* p) { set(p, item_type::map, 0, true); }
void on_tag(void* p, std::uint64_t t) { set(p, item_type::tag, t); }
void on_float2(void* p, float) { set(p, item_type::floating); }
void on_float4(void* p, float) { set(p, item_type::floating); }
void on_float8(void* p, double) { set(p, item_type::floating); }
void on_null(void* p) { set(p, item_type::null); }
void on_undefined(void* p) { set(p, item_type::null); }
void on_bool(void* p, bool b) { set(p, item_type::boolean, b ? 1 : 0); }
void on_break(void* p) { set(p, item_type::brk); }

cbor_callbacks make_callbacks() {
  cbor_callbacks cb = cbor_empty_callbacks;
  cb.uint8 = on_uint8;
  cb.uint16 = on_uint16;
  cb.uint32 = on_uint32;
  cb.uint64 = on_uint64;
  cb.negint8 = on_negint8;
  cb.negint16 = on_negint16;
  cb.negint32 = on_negint32;
  cb.negint64 = on_negint64;
  cb.byte_string = on_bytes;
  cb.byte_string_start = on_bytes_start;
  cb.string = on_text;
  cb.string_start = on_text_start;
  cb.array_start = on_array;
  cb.indef_array_start = on_indef_array;
  cb.map_start = on_map;
  cb.indef_map_start = on_indef_map;
  cb.tag = on_tag;
  cb.float2 = on_float2;
  cb.float4 = on_float4;
  cb.float8 = on_float8;
  cb.null = on_null;
  cb.undefined = on_undefined;
  cb.boolean = on_bool;
  cb.indef_break = on_break;
  return cb;
}

const cbor_callbacks callbacks = make_callbacks();

// Skips the chunks of an indefinite-length string up to its break. Each
// chunk must be a definite string of the same major type.
bool skip_chunks(reader& r, item_type type) noexcept {
  head h;
  for (;;) {
    if (!r.next(h)) return false;
    if (h.type == item_type::brk) return true;
    if (h.type != type || h.indefinite) return false;
  }
}

// A bignum's significant length (without leading zero bytes) decides how
// ciborium reads it: <= 8 an integer, 9..16 an error ("integer too large"),
// > 16 a Value::Tag holding the bytes.
enum class bignum_result : std::uint8_t { integer, too_large, stays_tag };

bool read_bignum(reader& r, string_storage& storage, bignum_result& kind,
                 std::uint64_t& magnitude) {
  head h;
  if (!r.next(h) || h.type != item_type::bytes) return false;
  byte_span bytes;
  if (!read_string(r, h, storage, bytes)) return false;
  std::size_t i = 0;
  while (i < bytes.size() && bytes[i] == 0) ++i;
  const std::size_t significant = bytes.size() - i;
  if (significant > 16) {
    kind = bignum_result::stays_tag;
    return true;
  }
  if (significant > 8) {
    kind = bignum_result::too_large;
    return true;
  }
  magnitude = 0;
  for (; i < bytes.size(); ++i) magnitude = magnitude << 8 | bytes[i];
  kind = bignum_result::integer;
  return true;
}

}  // namespace

bool reader::next(head& out) noexcept {
  if (pos_ >= in_.size()) return false;
  decode_context ctx{&out, false};
  const std::uint8_t* at = in_.data() + pos_;
  const std::size_t left = in_.size() - pos_;
  cbor_decoder_result res = cbor_stream_decode(at, left, &callbacks, &ctx);
  if (res.status != CBOR_DECODER_FINISHED || !ctx.fired) {
    // libcbor 0.8 refuses the one-byte tags 6..20 (0xc6..0xd4) as
    // "unassigned"; CBOR (and ciborium) accept any tag number.
    if (res.status == CBOR_DECODER_ERROR && at[0] >= 0xc6 && at[0] <= 0xd4) {
      out = head{item_type::tag, false, static_cast<std::uint64_t>(at[0] - 0xc0), {}};
      pos_ += 1;
      return true;
    }
    return false;
  }
  if (res.read == 0 || res.read > left) return false;
  pos_ += res.read;
  const std::size_t rest = in_.size() - pos_;
  switch (out.type) {
    case item_type::text:
      if (!out.indefinite && !valid_utf8(out.data)) return false;
      break;
    case item_type::array:
      // Every element needs at least one byte.
      if (!out.indefinite && out.arg > rest) return false;
      break;
    case item_type::map:
      if (!out.indefinite && out.arg > rest / 2) return false;
      break;
    case item_type::tag:
      if (rest == 0) return false;
      break;
    default:
      break;
  }
  return true;
}

bool read_string(reader& r, const head& first, string_storage& storage, byte_span& out) {
  if (!first.indefinite) {
    out = first.data;
    return true;
  }
  byte_vector joined;
  head h;
  for (;;) {
    if (!r.next(h)) return false;
    if (h.type == item_type::brk) break;
    if (h.type != first.type || h.indefinite) return false;
    joined.insert(joined.end(), h.data.begin(), h.data.end());
  }
  storage.push_back(std::move(joined));
  out = byte_span{storage.back().data(), storage.back().size()};
  return true;
}

bool skip_value(reader& r, const head& first, int depth) noexcept {
  struct level {
    std::uint64_t left;  // items still to come (definite containers)
    bool indefinite;
    bool map;
    bool key_read;       // indefinite map: a key was read, its value is due
  };
  std::array<level, max_depth> stack;
  int sp = 0;
  head h = first;
  for (;;) {
    bool completed = false;
    switch (h.type) {
      case item_type::unsigned_int:
      case item_type::negative_int:
      case item_type::boolean:
      case item_type::null:
      case item_type::floating:
        completed = true;
        break;
      case item_type::bytes:
      case item_type::text:
        if (h.indefinite && !skip_chunks(r, h.type)) return false;
        completed = true;
        break;
      case item_type::tag:
        if (h.arg == 2 || h.arg == 3) {
          // Bignums are not containers for ciborium: a byte string must follow.
          head b;
          if (!r.next(b) || b.type != item_type::bytes) return false;
          std::uint64_t significant = 0;
          auto count = [&significant](byte_span d) {
            for (auto x : d) {
              if (significant == 0 && x == 0) continue;  // leading zeros
              ++significant;
            }
          };
          if (b.indefinite) {
            for (;;) {
              head c;
              if (!r.next(c)) return false;
              if (c.type == item_type::brk) break;
              if (c.type != item_type::bytes || c.indefinite) return false;
              count(c.data);
            }
          } else {
            count(b.data);
          }
          if (significant > 8 && significant <= 16) return false;
          completed = true;
          break;
        }
        if (depth + sp + 1 > max_depth) return false;
        stack[sp++] = level{1, false, false, false};
        break;
      case item_type::array:
      case item_type::map:
        if (depth + sp + 1 > max_depth) return false;
        if (!h.indefinite && h.arg == 0) {
          completed = true;
          break;
        }
        stack[sp++] = level{h.type == item_type::map ? h.arg * 2 : h.arg, h.indefinite,
                            h.type == item_type::map, false};
        break;
      case item_type::brk: {
        if (sp == 0) return false;
        const level& top = stack[sp - 1];
        if (!top.indefinite || (top.map && top.key_read)) return false;
        --sp;
        completed = true;
        break;
      }
    }
    // A finished item may finish its enclosing containers in turn.
    while (completed) {
      if (sp == 0) return true;
      level& top = stack[sp - 1];
      if (top.indefinite) {
        if (top.map) top.key_read = !top.key_read;
        break;
      }
      if (--top.left == 0) {
        --sp;
        continue;
      }
      break;
    }
    if (!r.next(h)) return false;
  }
}

bool scalar::as_i64(std::int64_t& out) const noexcept {
  if (k != kind::integer) return false;
  if (magnitude > static_cast<std::uint64_t>(INT64_MAX)) return false;
  out = negative ? -1 - static_cast<std::int64_t>(magnitude) : static_cast<std::int64_t>(magnitude);
  return true;
}

bool read_scalar(reader& r, const head& first, int depth, string_storage& storage, scalar& out) {
  out = scalar{};
  switch (first.type) {
    case item_type::unsigned_int:
    case item_type::negative_int:
      out.k = scalar::kind::integer;
      out.negative = first.type == item_type::negative_int;
      out.magnitude = first.arg;
      return true;
    case item_type::bytes:
    case item_type::text:
      out.k = first.type == item_type::bytes ? scalar::kind::bytes : scalar::kind::text;
      return read_string(r, first, storage, out.data);
    case item_type::boolean:
      out.k = scalar::kind::boolean;
      out.magnitude = first.arg;
      return true;
    case item_type::null:
      out.k = scalar::kind::null;
      return true;
    case item_type::floating:
      out.k = scalar::kind::floating;
      return true;
    case item_type::array:
    case item_type::map:
      out.k = first.type == item_type::array ? scalar::kind::array : scalar::kind::map;
      return skip_value(r, first, depth);
    case item_type::tag:
      if (first.arg == 2 || first.arg == 3) {
        bignum_result kind{};
        std::uint64_t magnitude = 0;
        if (!read_bignum(r, storage, kind, magnitude)) return false;
        if (kind == bignum_result::too_large) return false;
        if (kind == bignum_result::stays_tag) {
          out.k = scalar::kind::tag;
          return true;
        }
        out.k = scalar::kind::integer;
        out.negative = first.arg == 3;
        out.magnitude = magnitude;
        return true;
      }
      out.k = scalar::kind::tag;
      return skip_value(r, first, depth);
    case item_type::brk:
      return false;
  }
  return false;
}

}  // namespace relay::protocol::cbor
