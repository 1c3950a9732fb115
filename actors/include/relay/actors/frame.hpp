// An encoded outbound frame: immutable and shared, so fan-out to N devices
// (and the hop through every actor on the way) never copies the payload.
// A frame is in one wire format (JSON text or the binary dialect); which one
// travels beside it where it can be either.
#pragma once

#include <memory>
#include <string>

#include "relay/protocol/wire_format.hpp"

namespace relay {

using shared_frame = std::shared_ptr<const std::string>;
using protocol::wire_format;

inline shared_frame make_frame(std::string text) {
  return std::make_shared<const std::string>(std::move(text));
}

}  // namespace relay
