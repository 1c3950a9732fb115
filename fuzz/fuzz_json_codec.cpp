// libFuzzer target for the JSON codec.
//
// Any input: decode must not crash (sanitizers watch memory and UB). If it
// decodes, the value must survive a round trip: encode -> decode gives an
// equal value, and encoding that again gives the same bytes. Aborts on any
// mismatch.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "relay/protocol/json_codec.hpp"
#include "relay/protocol/messages.hpp"
#include "support/same_message.hpp"

namespace {

using namespace relay::protocol;

using relay::fuzz::same_message;

[[noreturn]] void fail(const char* what, std::string_view input) {
  std::fprintf(stderr, "fuzz_json_codec: %s (input %zu bytes)\n", what, input.size());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  message first;
  if (decode(input, first) != decode_error::none) return 0;

  const std::string encoded = encode(first);
  message second;
  if (decode(encoded, second) != decode_error::none) fail("re-encoded message rejected", input);
  if (!same_message(first, second)) fail("round trip changed the value", input);
  if (encode(second) != encoded) fail("second encoding differs", input);

  // encode_to appends to what is there.
  std::string appended = "x";
  encode_to(second, appended);
  if (std::string_view(appended).substr(1) != encoded) fail("encode_to differs", input);

  // Decoding into a message that already holds a value gives the same value.
  message reused = second;
  if (decode(input, reused) != decode_error::none || !same_message(reused, first)) {
    fail("decode into a reused message differs", input);
  }
  return 0;
}
