// Binary codec on cereal's PortableBinary archives. Layout per message:
//   u8 tag (index in protocol::message), then the fields in declaration order;
//   fixed 32-byte arrays raw; byte strings and strings as u64 length + bytes;
//   spellings and the optional source's presence as u8.
#include "relay/protocol/binary_codec.hpp"

#include <istream>
#include <ostream>
#include <streambuf>

#include <cereal/archives/portable_binary.hpp>

#include "relay/protocol/utf8.hpp"

namespace relay::protocol {

namespace {

// A read-only streambuf over caller memory, so decoding copies nothing.
class view_buffer : public std::streambuf {
 public:
  explicit view_buffer(std::string_view bytes) {
    auto* p = const_cast<char*>(bytes.data());
    setg(p, p, p + bytes.size());
  }
  std::size_t remaining() const { return static_cast<std::size_t>(egptr() - gptr()); }
};

// A write-only streambuf that appends to caller memory, so encoding builds
// no intermediate string (an ostringstream would allocate and copy).
class append_buffer : public std::streambuf {
 public:
  explicit append_buffer(std::string& out) : out_(out) {}

 protected:
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    out_.append(s, static_cast<std::size_t>(n));
    return n;
  }
  int_type overflow(int_type c) override {
    if (!traits_type::eq_int_type(c, traits_type::eof())) out_.push_back(traits_type::to_char_type(c));
    return traits_type::not_eof(c);
  }

 private:
  std::string& out_;
};

// Thrown inside the decoder for any structural defect; never escapes it.
struct malformed {
  decode_error why;
};

class writer {
 public:
  explicit writer(std::ostream& os) : ar_(os) {}
  void u8(std::uint8_t v) { ar_(v); }
  void fixed(const std::array<std::uint8_t, 32>& a) { ar_(cereal::binary_data(a.data(), a.size())); }
  template <class Bytes>
  void bytes(const Bytes& b) {
    ar_(static_cast<std::uint64_t>(b.size()));
    if (!b.empty()) ar_(cereal::binary_data(b.data(), b.size()));
  }

 private:
  cereal::PortableBinaryOutputArchive ar_;
};

class reader {
 public:
  reader(std::istream& is, view_buffer& buf) : ar_(is), buf_(buf) {}
  std::uint8_t u8() {
    need(1);
    std::uint8_t v = 0;
    ar_(v);
    return v;
  }
  void fixed(std::array<std::uint8_t, 32>& a) {
    need(a.size());
    ar_(cereal::binary_data(a.data(), a.size()));
  }
  template <class Bytes>
  void bytes(Bytes& b) {
    need(sizeof(std::uint64_t));
    std::uint64_t n = 0;
    ar_(n);
    // The bound that keeps a hostile length claim from allocating: a field
    // can never be longer than what is left of the input.
    need(n);
    b.resize(static_cast<std::size_t>(n));
    if (n > 0) ar_(cereal::binary_data(b.data(), static_cast<std::size_t>(n)));
  }
  // A string field: bytes as above, and valid UTF-8 like a serde String.
  void text(std::string& s) {
    bytes(s);
    if (!valid_utf8(s)) throw malformed{decode_error::invalid_value};
  }
  spelling spelling_value() {
    auto v = u8();
    if (v > 1) throw malformed{decode_error::invalid_value};
    return static_cast<spelling>(v);
  }
  bool at_end() const { return buf_.remaining() == 0; }

 private:
  void need(std::uint64_t n) const {
    if (n > buf_.remaining()) throw malformed{decode_error::syntax};
  }
  cereal::PortableBinaryInputArchive ar_;
  view_buffer& buf_;
};

struct encoder {
  writer& w;
  void operator()(const auth_challenge& m) { w.fixed(m.value); }
  void operator()(const auth_response& m) {
    w.bytes(m.id.cose_key_bytes);
    w.bytes(m.cose_sign1_bytes);
  }
  void operator()(const get_rendezvous& m) { w.u8(static_cast<std::uint8_t>(m.variant)); }
  void operator()(const rendezvous_info& m) {
    w.u8(static_cast<std::uint8_t>(m.variant));
    w.bytes(m.code);
  }
  void operator()(const get_identity& m) { w.bytes(m.code); }
  void operator()(const identity_info& m) {
    w.fixed(m.fp);
    w.bytes(m.id.cose_key_bytes);
  }
  void operator()(const send& m) {
    w.u8(m.source ? 1 : 0);
    if (m.source) w.fixed(*m.source);
    w.fixed(m.destination);
    w.bytes(m.payload);
  }
};

message decode_tagged(reader& r) {
  switch (r.u8()) {
    case 0: {
      auth_challenge m;
      r.fixed(m.value);
      return m;
    }
    case 1: {
      auth_response m;
      r.bytes(m.id.cose_key_bytes);
      r.bytes(m.cose_sign1_bytes);
      return m;
    }
    case 2: return get_rendezvous{r.spelling_value()};
    case 3: {
      rendezvous_info m;
      m.variant = r.spelling_value();
      r.text(m.code);
      return m;
    }
    case 4: {
      get_identity m;
      r.text(m.code);
      return m;
    }
    case 5: {
      identity_info m;
      r.fixed(m.fp);
      r.bytes(m.id.cose_key_bytes);
      return m;
    }
    case 6: {
      send m;
      auto has_source = r.u8();
      if (has_source > 1) throw malformed{decode_error::invalid_value};
      if (has_source) {
        m.source.emplace();
        r.fixed(*m.source);
      }
      r.fixed(m.destination);
      r.bytes(m.payload);
      return m;
    }
    default: throw malformed{decode_error::unknown_variant};
  }
}

}  // namespace

void encode_binary_to(const message& msg, std::string& out) {
  append_buffer buf{out};
  std::ostream os(&buf);
  writer w{os};
  w.u8(static_cast<std::uint8_t>(msg.index()));
  std::visit(encoder{w}, msg);
}

std::string encode_binary(const message& msg) {
  std::string out;
  encode_binary_to(msg, out);
  return out;
}

decode_error decode_binary(std::string_view bytes, message& out) noexcept {
  try {
    view_buffer buf{bytes};
    std::istream is(&buf);
    // The archive's constructor reads its one-byte endianness header. It
    // takes any byte other than 0x01 as "big-endian"; the dialect allows
    // exactly 0x01 (little-endian) and 0x00 (big-endian lengths).
    if (bytes.empty() || (bytes[0] != '\x01' && bytes[0] != '\x00')) return decode_error::syntax;
    reader r{is, buf};
    auto msg = decode_tagged(r);
    if (!r.at_end()) return decode_error::syntax;
    out = std::move(msg);
    return decode_error::none;
  } catch (const malformed& m) {
    return m.why;
  } catch (...) {
    // cereal::Exception on a short read, std::bad_alloc: both mean "not a message".
    return decode_error::syntax;
  }
}

}  // namespace relay::protocol
