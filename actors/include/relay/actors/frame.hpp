// An encoded outbound frame: immutable and shared, so fan-out to N devices
// (and the hop through every actor on the way) never copies the payload.
#pragma once

#include <memory>
#include <string>

namespace relay {

using shared_frame = std::shared_ptr<const std::string>;

inline shared_frame make_frame(std::string text) {
  return std::make_shared<const std::string>(std::move(text));
}

}  // namespace relay
