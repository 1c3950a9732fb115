// Joins two byte streams of the cluster gate: whatever one side reads the
// other side writes, in order, one bounded buffer per direction (so a slow
// side back-pressures the other through TCP). The splice ends, closing
// both, when either side ends or fails.
#pragma once

#include <array>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "asio.hpp"

namespace relay::net {

inline constexpr std::size_t splice_buffer_size = 64 * 1024;

template <class From, class To, class Close>
asio::awaitable<void> pump(std::shared_ptr<From> from, std::shared_ptr<To> to, Close close) {
  std::array<char, splice_buffer_size> buffer;
  try {
    for (;;) {
      auto n = co_await from->async_read_some(asio::buffer(buffer), asio::use_awaitable);
      co_await asio::async_write(*to, asio::buffer(buffer.data(), n), asio::use_awaitable);
    }
  } catch (const std::exception&) {
  }
  close();
}

/// Starts both directions; `a_leftover` are bytes already read from `a`
/// (after its handshake line) that `b` must get first. `on_end` runs once,
/// after both streams are closed.
template <class A, class B, class OnEnd>
void splice(asio::any_io_executor ex, std::shared_ptr<A> a, std::shared_ptr<B> b, std::string a_leftover,
            OnEnd on_end) {
  struct ending {
    std::shared_ptr<A> a;
    std::shared_ptr<B> b;
    OnEnd on_end;
    bool done = false;
    void operator()() {
      if (done) return;
      done = true;
      error_code ignored;
      a->lowest_layer().close(ignored);
      b->lowest_layer().close(ignored);
      on_end();
    }
  };
  auto end = std::make_shared<ending>(ending{a, b, std::move(on_end)});
  auto close = [end] { (*end)(); };
  asio::co_spawn(
    ex,
    [a, b, close, leftover = std::move(a_leftover)]() -> asio::awaitable<void> {
      try {
        if (!leftover.empty()) co_await asio::async_write(*b, asio::buffer(leftover), asio::use_awaitable);
      } catch (const std::exception&) {
        close();
        co_return;
      }
      co_await pump(a, b, close);
    },
    asio::detached);
  asio::co_spawn(ex, pump(b, a, close), asio::detached);
}

}  // namespace relay::net
