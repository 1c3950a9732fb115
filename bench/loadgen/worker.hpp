// One io thread: an io_context, the connections assigned to it, and its
// counters. Commands from the coordinator are posted onto the io_context.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "options.hpp"
#include "relay/protocol/messages.hpp"
#include "relay/protocol/wire_format.hpp"
#include "run_state.hpp"
#include "topology.hpp"

namespace relay::bench {

class connection;

class worker {
 public:
  worker(const options& opt, const topology& topo, phase_flags& flags,
         std::vector<boost::asio::ip::tcp::endpoint> endpoints, std::vector<connection*>& directory);
  ~worker();
  worker(const worker&) = delete;
  worker& operator=(const worker&) = delete;

  /// Creates connection `index` on this thread (before start()).
  void adopt(std::uint32_t index);
  void start();  ///< runs the io thread
  void join();

  void begin_connecting();  ///< posts: open sockets, at most `inflight` handshakes at once
  void begin_traffic();     ///< posts: senders start (closed loop fills windows, open loop arms timers)
  void begin_closing();     ///< posts: every live connection sends a close frame
  void stop();              ///< stops the io_context

  /// A handshake ended (success or failure): start the next waiting one.
  void handshake_finished();

  const options& opt;
  const topology& topo;
  phase_flags& flags;
  std::vector<boost::asio::ip::tcp::endpoint> endpoints;  ///< connection i uses endpoints[i % size]
  std::vector<std::string> host_headers;                  ///< Host header for each endpoint
  std::vector<connection*>& directory;  ///< every connection by index (read-only after setup)
  thread_stats stats;

  // Scratch shared by the connections of this thread (no per-message allocation).
  protocol::message outgoing;  ///< a send whose payload has opt.payload bytes
  protocol::message incoming;  ///< decode target, reused
  std::string encoded;         ///< encode target, reused
  protocol::wire_format format = protocol::wire_format::json;  ///< from opt.binary

  boost::asio::io_context& io() { return io_; }

 private:
  boost::asio::io_context io_{1};
  std::vector<std::unique_ptr<connection>> conns_;
  std::size_t next_to_start_ = 0;
  std::size_t handshake_slots_ = 0;
  std::thread thread_;
};

}  // namespace relay::bench
