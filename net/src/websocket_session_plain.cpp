// basic_websocket_session over plain TCP (definitions in websocket_session_impl.hpp).
#include "websocket_session_impl.hpp"

namespace relay::net {
template class basic_websocket_session<plain_stream>;
}  // namespace relay::net
