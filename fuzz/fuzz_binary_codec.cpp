// libFuzzer target for the binary codec (the cluster envelope and the
// opt-in binary dialect: both read bytes from the network).
//
// Any input: decode_binary must not crash, throw or allocate beyond the
// input (sanitizers and -rss_limit_mb watch). If it decodes, the value must
// survive a round trip: encode -> decode gives an equal value, encoding it
// again gives the same bytes, and the JSON encoding of it decodes to the same
// value too (what the relay does when it transcodes for a JSON recipient).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "relay/protocol/binary_codec.hpp"
#include "relay/protocol/json_codec.hpp"
#include "support/same_message.hpp"

namespace {

using namespace relay::protocol;
using relay::fuzz::same_message;

[[noreturn]] void fail(const char* what, std::string_view input) {
  std::fprintf(stderr, "fuzz_binary_codec: %s (input %zu bytes)\n", what, input.size());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  message first;
  if (decode_binary(input, first) != decode_error::none) return 0;

  const std::string encoded = encode_binary(first);
  message second;
  if (decode_binary(encoded, second) != decode_error::none) fail("re-encoded message rejected", input);
  if (!same_message(first, second)) fail("round trip changed the value", input);
  if (encode_binary(second) != encoded) fail("second encoding differs", input);

  // encode_binary_to appends to what is there.
  std::string appended = "x";
  encode_binary_to(second, appended);
  if (std::string_view(appended).substr(1) != encoded) fail("encode_binary_to differs", input);

  // Transcoding to JSON and back keeps the value.
  message via_json;
  if (decode(encode(first), via_json) != decode_error::none) fail("JSON transcoding rejected", input);
  if (!same_message(first, via_json)) fail("JSON transcoding changed the value", input);
  return 0;
}
