// Request routing of the admin endpoint, apart from the socket code so it
// reads (and could be tested) on its own. See relay/net/admin.hpp.
#pragma once

#include <string>
#include <string_view>

#include "relay/actors/relay_core.hpp"

namespace relay::net::detail {

struct admin_reply {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

/// The answer to `method target`: /metrics, /healthz, /readyz (by `ready`),
/// 404 for other paths, 405 for methods other than GET and HEAD.
admin_reply answer_admin_request(std::string_view method, std::string_view target, const relay_core& core,
                                 bool ready);

}  // namespace relay::net::detail
