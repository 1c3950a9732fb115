#include "outbox.hpp"

#include <algorithm>

#include "relay/log.hpp"

namespace relay::net {

outbox::outbox(wire_format format, std::string peer, limits lim, std::shared_ptr<relay_stats> stats, waker wake)
    : format_(format), peer_(std::move(peer)), limits_(lim), stats_(std::move(stats)), wake_(std::move(wake)) {}

bool outbox::claim_writer() {
  if (writing_) return false;
  writing_ = true;
  return true;
}

void outbox::send(shared_frame frame) {
  unsigned work = 0;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    if (close_requested_) return;
    auto size = frame->size();
    // One frame larger than the bound still goes out when nothing is queued;
    // otherwise a client could never receive a maximum-size message.
    if (queued_bytes_ > 0 && queued_bytes_ + size > limits_.max_queued_bytes) {
      if (stats_) stats_->slow_consumer_closes.fetch_add(1, std::memory_order_relaxed);
      RELAY_LOG(info, "slow consumer peer=" << peer_ << " queued=" << queued_bytes_);
      close_requested_ = true;
      // Drop what the client will never read in time; the close frame goes
      // out right after the write in progress.
      queue_.clear();
      queued_bytes_ = in_flight_ ? in_flight_->size() : 0;
      queued_gauge_.update(queued_bytes_);
      pending_close_ = close_request{close_code::policy_violation, "slow consumer"};
      work = arm_close | (claim_writer() ? write : 0u);
    } else {
      queued_bytes_ += size;
      queued_gauge_.update(queued_bytes_);
      queue_.push_back(std::move(frame));
      if (claim_writer()) work = write;
    }
  }
  if (work) wake_(work);
}

void outbox::close(std::uint16_t code, std::string reason) {
  unsigned work = 0;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    if (close_requested_) return;
    close_requested_ = true;
    pending_close_ = close_request{code, std::move(reason)};
    work = arm_close | (claim_writer() ? write : 0u);
  }
  wake_(work);
}

bool outbox::credit_exhausted() const {
  auto frames = inflight_frames_.load();
  return frames >= limits_.max_inflight_frames || (frames > 0 && inflight_bytes_.load() >= limits_.max_inflight_bytes);
}

void outbox::frame_consumed(std::size_t bytes) {
  inflight_frames_.fetch_sub(1);
  inflight_bytes_.fetch_sub(bytes);
  if (read_paused_.load() && !credit_exhausted() && read_paused_.exchange(false)) wake_(resume_read);
}

bool outbox::may_read() {
  if (!credit_exhausted()) return true;
  read_paused_.store(true);
  // Credit may have come back between the check and the flag: whoever
  // clears the flag first resumes reading.
  return !credit_exhausted() && read_paused_.exchange(false);
}

void outbox::delivered(std::size_t bytes) {
  inflight_frames_.fetch_add(1);
  inflight_bytes_.fetch_add(bytes);
}

outbox::write_step outbox::next_write() {
  std::lock_guard<std::mutex> guard{mutex_};
  if (!queue_.empty()) {
    in_flight_ = queue_.pop_front();
    return {in_flight_, std::nullopt};
  }
  // writing_ stays true after the close: nothing may be written after it.
  if (pending_close_) return {nullptr, std::exchange(pending_close_, std::nullopt)};
  writing_ = false;
  return {};
}

void outbox::write_done() {
  std::lock_guard<std::mutex> guard{mutex_};
  if (in_flight_) queued_bytes_ -= std::min(queued_bytes_, in_flight_->size());
  queued_gauge_.update(queued_bytes_);
  in_flight_.reset();
}

void outbox::shut() {
  std::lock_guard<std::mutex> guard{mutex_};
  close_requested_ = true;
  writing_ = true;  // no more wake-ups for writing
  pending_close_.reset();
  queue_.clear();
  queued_bytes_ = in_flight_ ? in_flight_->size() : 0;  // the dropped frames are no longer queued
  queued_gauge_.update(queued_bytes_);
}

}  // namespace relay::net
