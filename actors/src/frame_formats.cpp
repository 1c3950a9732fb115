#include "frame_formats.hpp"

namespace relay::detail {

namespace {
std::size_t slot(wire_format f) { return static_cast<std::size_t>(f); }
}  // namespace

frame_formats::frame_formats(shared_frame frame, wire_format format, relay_stats& stats,
                             const protocol::message* decoded)
    : original_(format), decoded_(decoded), stats_(stats) {
  frames_[slot(format)] = std::move(frame);
}

const shared_frame& frame_formats::in(wire_format format) {
  auto& wanted = frames_[slot(format)];
  if (wanted || transcoded_) return wanted;
  transcoded_ = true;  // one attempt: a frame that does not decode stays undeliverable
  protocol::message msg;
  const protocol::message* source = decoded_;
  if (source == nullptr) {
    if (protocol::decode(*frames_[slot(original_)], original_, msg) != protocol::decode_error::none) return wanted;
    source = &msg;
  }
  wanted = make_frame(protocol::encode(*source, format));
  stats_.frames_transcoded.fetch_add(1, std::memory_order_relaxed);
  return wanted;
}

}  // namespace relay::detail
