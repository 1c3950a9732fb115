#include "scan.hpp"

#include <cstring>

namespace relay::null_relay {

namespace {
constexpr std::string_view send_open = "{\"Send\":{";

/// Reads "n,n,...]" from p; calls put(byte) per element. Returns false on
/// anything but digits, commas and the closing bracket.
template <class Put>
bool scan_ints(const char*& p, const char* end, std::size_t limit, Put put) {
  if (p < end && *p == ']') {
    ++p;
    return true;
  }
  for (std::size_t n = 0; n < limit; ++n) {
    unsigned v = 0;
    int digits = 0;
    while (p < end && *p >= '0' && *p <= '9' && digits < 3) {
      v = v * 10 + static_cast<unsigned>(*p++ - '0');
      ++digits;
    }
    if (digits == 0 || v > 255 || p >= end) return false;
    put(static_cast<std::uint8_t>(v));
    if (*p == ']') {
      ++p;
      return true;
    }
    if (*p++ != ',') return false;
  }
  return false;
}
}  // namespace

std::optional<std::vector<std::uint8_t>> int_array_after(std::string_view text, std::string_view key,
                                                         std::size_t limit) {
  const auto at = text.find(key);
  if (at == std::string_view::npos) return std::nullopt;
  const char* p = text.data() + at + key.size();
  std::vector<std::uint8_t> out;
  if (!scan_ints(p, text.data() + text.size(), limit, [&](std::uint8_t b) { out.push_back(b); })) return std::nullopt;
  return out;
}

bool fingerprint_after(std::string_view text, std::string_view key, protocol::fingerprint& out) {
  const auto at = text.find(key);
  if (at == std::string_view::npos) return false;
  const char* p = text.data() + at + key.size();
  std::size_t n = 0;
  const bool ok = scan_ints(p, text.data() + text.size(), out.size() + 1, [&](std::uint8_t b) {
    if (n < out.size()) out[n] = b;
    ++n;
  });
  return ok && n == out.size();
}

std::span<const std::uint8_t> public_key_in(std::span<const std::uint8_t> k) {
  // Ed25519 key: bstr(32) = 0x58 0x20 + 32 bytes; ML-DSA-65: 0x59 0x07 0xA0 + 1952.
  for (std::size_t i = 0; i + 2 + 32 <= k.size(); ++i) {
    if (k[i] == 0x58 && k[i + 1] == 0x20) return k.subspan(i + 2, 32);
    if (k[i] == 0x59 && i + 3 + 1952 <= k.size() && k[i + 1] == 0x07 && k[i + 2] == 0xA0) {
      return k.subspan(i + 3, 1952);
    }
  }
  return {};
}

std::string source_prefix(const protocol::fingerprint& fp) {
  std::string out = "{\"Send\":{\"source\":[";
  for (std::size_t i = 0; i < fp.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(fp[i]);
  }
  out += "],";
  return out;
}

std::string splice_source(std::string_view prefix, std::string_view frame) {
  if (frame.substr(0, send_open.size()) != send_open) return {};
  const std::string_view rest = frame.substr(send_open.size());
  std::string out;
  out.resize(prefix.size() + rest.size());
  std::memcpy(out.data(), prefix.data(), prefix.size());
  std::memcpy(out.data() + prefix.size(), rest.data(), rest.size());
  return out;
}

}  // namespace relay::null_relay
