// libFuzzer target: the HTTP requests the relay parses before anything
// else, on two ports: the WebSocket upgrade (client port) and the admin
// endpoint. The bytes go through Beast's request parser with the limits the
// sessions set (8 KiB of header, no body), then through the relay's own
// decisions on the parsed request: is it an upgrade, which client address a
// trusted proxy reports, is the binary dialect offered, and the admin answer.
//
// Input: byte 0 is flags (bit 0: trust the proxy's X-Forwarded-For, bit 1:
// the admin endpoint reports ready), the rest is the request as sent.
//
// Invariants (abort on violation):
//  - the parser never accepts a header larger than the limit or any body;
//  - the forwarded client address is a part of the last X-Forwarded-For
//    entry, non-empty, without commas and without surrounding blanks;
//  - a Sec-WebSocket-Protocol value that lists the binary dialect contains
//    its token;
//  - the admin answer is 405 exactly for methods other than GET and HEAD,
//    otherwise 200, 404 or 503 by path, with a body ending in a newline.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "admin_server.hpp"
#include "forwarded_for.hpp"
#include "relay/actors/stats.hpp"
#include "relay/protocol/wire_format.hpp"

namespace {

namespace http = boost::beast::http;
using relay::net::last_forwarded_for;

// As http_session.cpp and admin_server.cpp set them.
constexpr std::uint32_t header_limit = 8 * 1024;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz_http_request: %s\n", what);
  std::abort();
}

std::string_view view(boost::beast::string_view s) { return {s.data(), s.size()}; }

// The admin reply needs only the counters; the relay's actors are not involved.
const relay::relay_core& admin_core() {
  static const relay::relay_core* core = [] {
    auto* c = new relay::relay_core;
    c->config = std::make_shared<relay::relay_config>();
    c->stats = std::make_shared<relay::relay_stats>();
    return c;
  }();
  return *core;
}

void check_forwarded_for(std::string_view header) {
  auto ip = last_forwarded_for(header);
  auto comma = header.rfind(',');
  auto last = comma == std::string_view::npos ? header : header.substr(comma + 1);
  if (ip.empty()) {
    if (last.find_first_not_of(" \t") != std::string_view::npos) fail("a non-blank last entry gave no address");
    return;
  }
  if (ip.data() < last.data() || ip.data() + ip.size() > last.data() + last.size())
    fail("the address is not inside the last entry");
  if (ip.find(',') != std::string_view::npos) fail("the address holds a comma");
  for (char c : {ip.front(), ip.back()})
    if (c == ' ' || c == '\t') fail("the address has surrounding blanks");
}

void check_admin(const http::request<http::empty_body>& req, bool ready) {
  auto method = view(req.method_string());
  auto target = view(req.target());
  auto reply = relay::net::detail::answer_admin_request(method, target, admin_core(), ready);
  bool allowed = method == "GET" || method == "HEAD";
  if ((reply.status == 405) != !allowed) fail("405 for an allowed method, or another status for a refused one");
  if (allowed && reply.status != 200 && reply.status != 404 && reply.status != 503) fail("unexpected admin status");
  if (reply.status == 503 && (ready || target.substr(0, target.find('?')) != "/readyz"))
    fail("503 for something other than /readyz while not ready");
  if (reply.body.empty() || reply.body.back() != '\n') fail("admin body does not end in a newline");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool trust_proxy = data[0] & 1;
  const bool ready = data[0] & 2;
  http::request_parser<http::empty_body> parser;
  parser.header_limit(header_limit);
  parser.body_limit(0);
  parser.eager(true);
  boost::beast::error_code ec;
  std::size_t used = 0;
  const auto* bytes = data + 1;
  std::size_t left = size - 1;
  while (left > 0 && !parser.is_done()) {
    auto n = parser.put(boost::asio::buffer(bytes + used, left), ec);
    if (ec == http::error::need_more) break;  // incomplete: the session would wait, then time out
    if (ec) return 0;                         // refused, as the session refuses it
    if (n == 0) break;
    used += n;
    left -= n;
  }
  if (!parser.is_header_done()) return 0;
  if (used > header_limit + 1) fail("a header beyond the limit was accepted");
  const auto& req = parser.get();

  // The client port's decisions on an upgrade request.
  (void)boost::beast::websocket::is_upgrade(req);
  if (trust_proxy) check_forwarded_for(view(req["X-Forwarded-For"]));
  auto offered = view(req[http::field::sec_websocket_protocol]);
  if (relay::protocol::lists_subprotocol(offered, relay::protocol::binary_subprotocol) &&
      offered.find(relay::protocol::binary_subprotocol) == std::string_view::npos)
    fail("the binary dialect was found in a header that does not name it");

  // The admin port's answer to the same request.
  check_admin(req, ready);
  return 0;
}
