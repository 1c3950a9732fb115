// Boost.Beast/Asio includes and aliases for the net layer's sources only.
#pragma once

#include <boost/asio/defer.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>

namespace relay::net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
using tcp = boost::asio::ip::tcp;
using error_code = boost::system::error_code;
namespace ssl = boost::asio::ssl;
/// Every handler of one client connection runs on its strand, on the socket
/// loop the server placed it on. Spelled out as a concrete type (not
/// any_io_executor) so an operation carries a plain strand: no type-erased
/// executor is allocated per async operation or held by an idle read.
using connection_executor = asio::strand<asio::io_context::executor_type>;
using connection_socket = asio::basic_stream_socket<tcp, connection_executor>;
using connection_timer =
    asio::basic_waitable_timer<std::chrono::steady_clock, asio::wait_traits<std::chrono::steady_clock>,
                               connection_executor>;
/// The two transports under a WebSocket: plain TCP, and TLS over TCP. Bare
/// sockets (not beast::tcp_stream): the sessions keep their own deadlines.
using plain_stream = connection_socket;
using tls_stream = beast::ssl_stream<connection_socket>;
}  // namespace relay::net
