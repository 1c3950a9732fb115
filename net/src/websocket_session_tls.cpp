// basic_websocket_session over TLS (definitions in websocket_session_impl.hpp).
#include "websocket_session_impl.hpp"

namespace relay::net {
template class basic_websocket_session<tls_stream>;
}  // namespace relay::net
