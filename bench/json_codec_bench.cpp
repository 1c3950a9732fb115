// JSON codec throughput: the hand-written, schema-directed codec against
// RapidJSON's SAX Reader (iterative parsing) on the same Send frames.
//
// This is the measurement behind "JSON parser chosen by measurement": the
// relay decodes every Send it forwards, so decode speed is the hot path.
// RapidJSON is run two ways: only tokenizing and counting values (a lower
// bound for any RapidJSON-based decoder, which would still have to check the
// schema), and collecting the payload bytes into a vector (what a decoder
// built on it would at least do). Plain text output; not a test.
//
//   json_codec_bench [seconds-per-case]     (default 0.5)
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <ctime>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "relay/protocol/json_codec.hpp"
#include "relay/protocol/messages.hpp"

namespace {

using relay::protocol::byte_vector;
using relay::protocol::message;

/// CPU time of this thread: the numbers stay meaningful on a busy machine
/// (wall-clock time would charge us for other processes' time slices).
double thread_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

volatile std::size_t g_sink = 0;

struct result {
  double seconds = 0;
  std::size_t iterations = 0;
};

/// Runs `fn` repeatedly for at least `budget` seconds of CPU time (after a
/// warm-up).
template <class Fn>
result measure(double budget, Fn&& fn) {
  for (int i = 0; i < 3; ++i) fn();
  result r;
  const double start = thread_seconds();
  std::size_t batch = 1;
  for (;;) {
    for (std::size_t i = 0; i < batch; ++i) fn();
    r.iterations += batch;
    r.seconds = thread_seconds() - start;
    if (r.seconds >= budget) break;
    if (batch < (1u << 16)) batch *= 2;
  }
  return r;
}

void print(const char* what, std::size_t text_bytes, const result& r) {
  const double per_second = static_cast<double>(r.iterations) / r.seconds;
  const double mb_per_second = per_second * static_cast<double>(text_bytes) / 1e6;
  std::printf("  %-44s %10.1f MB/s %12.0f msg/s\n", what, mb_per_second, per_second);
}

/// SAX handler that only counts events.
struct counting_handler : rapidjson::BaseReaderHandler<rapidjson::UTF8<>, counting_handler> {
  std::size_t events = 0;
  bool Default() {
    ++events;
    return true;
  }
};

/// SAX handler that keeps every unsigned integer of the frame as a byte, the
/// least a RapidJSON-based decoder would do (no schema checks at all).
struct collecting_handler
    : rapidjson::BaseReaderHandler<rapidjson::UTF8<>, collecting_handler> {
  byte_vector* bytes;
  bool ok = true;
  bool Uint(unsigned v) {
    if (v > 255) ok = false;
    bytes->push_back(static_cast<std::uint8_t>(v));
    return true;
  }
  bool Int(int v) {
    if (v < 0 || v > 255) ok = false;
    bytes->push_back(static_cast<std::uint8_t>(v));
    return true;
  }
  bool Default() { return true; }
};

void run_case(const char* title, std::size_t payload_size, double budget) {
  std::mt19937 rng(static_cast<unsigned>(payload_size));
  relay::protocol::send s;
  for (auto& b : s.destination) b = static_cast<std::uint8_t>(rng());
  s.source.emplace();
  for (auto& b : *s.source) b = static_cast<std::uint8_t>(rng());
  s.payload.resize(payload_size);
  for (auto& b : s.payload) b = static_cast<std::uint8_t>(rng());
  const message msg = s;
  const std::string text = relay::protocol::encode(msg);

  std::printf("%s: Send with %zu-byte payload, %zu bytes of JSON\n", title, payload_size,
              text.size());

  // Ours: decode into a reused message (as the relay's connection does).
  {
    message out;
    const auto r = measure(budget, [&] {
      if (relay::protocol::decode(text, out) != relay::protocol::decode_error::none) std::abort();
      g_sink = g_sink + std::get<relay::protocol::send>(out).payload.size();
    });
    print("decode, ours (reused message)", text.size(), r);
  }
  {
    const auto r = measure(budget, [&] {
      message out;
      if (relay::protocol::decode(text, out) != relay::protocol::decode_error::none) std::abort();
      g_sink = g_sink + std::get<relay::protocol::send>(out).payload.size();
    });
    print("decode, ours (fresh message)", text.size(), r);
  }
  // RapidJSON SAX, iterative.
  {
    const auto r = measure(budget, [&] {
      rapidjson::Reader reader;
      counting_handler handler;
      rapidjson::StringStream stream(text.c_str());
      if (reader.Parse<rapidjson::kParseIterativeFlag>(stream, handler).IsError()) std::abort();
      g_sink = g_sink + handler.events;
    });
    print("rapidjson Reader, iterative, count only", text.size(), r);
  }
  {
    byte_vector bytes;
    const auto r = measure(budget, [&] {
      bytes.clear();
      rapidjson::Reader reader;
      collecting_handler handler;
      handler.bytes = &bytes;
      rapidjson::StringStream stream(text.c_str());
      if (reader.Parse<rapidjson::kParseIterativeFlag>(stream, handler).IsError() || !handler.ok) {
        std::abort();
      }
      g_sink = g_sink + bytes.size();
    });
    print("rapidjson Reader, iterative, collect bytes", text.size(), r);
  }
  {
    const auto r = measure(budget, [&] {
      rapidjson::Reader reader;
      counting_handler handler;
      rapidjson::StringStream stream(text.c_str());
      constexpr unsigned flags = rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;
      if (reader.Parse<flags>(stream, handler).IsError()) std::abort();
      g_sink = g_sink + handler.events;
    });
    print("rapidjson Reader, iterative+validate UTF-8", text.size(), r);
  }

  // Encoding (the relay re-encodes every forwarded Send).
  {
    std::string out;
    const auto r = measure(budget, [&] {
      out.clear();
      relay::protocol::encode_to(msg, out);
      g_sink = g_sink + out.size();
    });
    print("encode, ours (reused string)", text.size(), r);
  }
  {
    const auto r = measure(budget, [&] {
      rapidjson::StringBuffer buffer;
      rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
      writer.StartObject();
      writer.Key("Send");
      writer.StartObject();
      writer.Key("source");
      writer.StartArray();
      for (auto b : *s.source) writer.Uint(b);
      writer.EndArray();
      writer.Key("destination");
      writer.StartArray();
      for (auto b : s.destination) writer.Uint(b);
      writer.EndArray();
      writer.Key("payload");
      writer.StartArray();
      for (auto b : s.payload) writer.Uint(b);
      writer.EndArray();
      writer.EndObject();
      writer.EndObject();
      if (buffer.GetSize() != text.size()) std::abort();
      g_sink = g_sink + buffer.GetSize();
    });
    print("rapidjson Writer (same bytes)", text.size(), r);
  }
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  const double budget = argc > 1 ? std::atof(argv[1]) : 0.5;
  std::printf("json_codec_bench: %.2f s of thread CPU time per measurement, MB = 10^6 bytes of JSON text\n\n",
              budget);
  run_case("small", 256, budget);
  run_case("large", 64 * 1024, budget);
  return 0;
}
