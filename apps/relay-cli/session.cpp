#include "session.hpp"

#include <cctype>

#include "relay/client/key_file.hpp"
#include "relay/protocol/rendezvous_code.hpp"

namespace relay::cli {

std::unique_ptr<client::connection> open_session(const args& a) {
  auto url = a.require("url");
  client::connection::check_url(url);  // a usage error (2) wins over a key file error (1)
  auto key = client::load_key_file(a.require("key"));
  client::connect_options options;
  options.timeout = connect_timeout;
  options.ca_file = a.get("ca").value_or("");
  auto c = client::connection::open(url, options);
  c->authenticate(key, connect_timeout, auth_settle);
  return c;
}

protocol::fingerprint parse_fingerprint(const std::string& hex) {
  protocol::byte_vector bytes;
  if (hex.size() != 2 * protocol::fingerprint_size || !protocol::from_hex(hex, bytes))
    throw usage_error("a fingerprint is 64 hex digits, got '" + hex + "'");
  protocol::fingerprint fp{};
  std::copy(bytes.begin(), bytes.end(), fp.begin());
  return fp;
}

std::string normalize_code(const std::string& typed) {
  std::string symbols;
  for (char c : typed) {
    if (c == '-' || c == ' ') continue;
    symbols += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  std::string code = symbols.size() == 9 ? symbols.substr(0, 3) + "-" + symbols.substr(3, 3) + "-" + symbols.substr(6)
                                         : symbols;
  if (!protocol::is_well_formed_rendezvous_code(code))
    throw usage_error("a rendezvous code looks like ABC-DEF-GHI (9 letters or digits), got '" + typed + "'");
  return code;
}

}  // namespace relay::cli
