// One message on its way to several recipients: the frame as it was routed,
// in its wire format, plus the other format made on first demand. So a
// message is transcoded at most once, however many recipients (local
// devices, services, other cluster nodes) speak the other format, and not
// at all when they all speak the sender's.
#pragma once

#include <array>

#include "relay/actors/frame.hpp"
#include "relay/actors/stats.hpp"
#include "relay/protocol/messages.hpp"

namespace relay::detail {

class frame_formats {
 public:
  /// `decoded` (optional, must outlive this) spares a decode when the
  /// caller already holds the message.
  frame_formats(shared_frame frame, wire_format format, relay_stats& stats,
                const protocol::message* decoded = nullptr);

  /// The frame in `format`; null only if a frame from outside the relay
  /// (a peer node) cannot be decoded, in which case nobody should get it.
  const shared_frame& in(wire_format format);

 private:
  std::array<shared_frame, 2> frames_;  // indexed by wire_format
  wire_format original_;
  const protocol::message* decoded_;
  relay_stats& stats_;
  bool transcoded_ = false;
};

}  // namespace relay::detail
