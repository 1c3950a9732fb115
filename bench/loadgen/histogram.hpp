// A fixed-size log-linear latency histogram (about 1.6% resolution, values
// in nanoseconds up to ~9 hours). Recording never allocates.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>

namespace relay::bench {

class latency_histogram {
 public:
  void record(std::uint64_t ns) noexcept {
    ++counts_[index_of(ns)];
    ++count_;
    max_ = std::max(max_, ns);
  }

  void merge(const latency_histogram& o) noexcept {
    for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += o.counts_[i];
    count_ += o.count_;
    max_ = std::max(max_, o.max_);
  }

  std::uint64_t count() const noexcept { return count_; }
  std::uint64_t max() const noexcept { return max_; }

  /// The value at quantile q (0..1): the midpoint of its bucket, capped at max.
  std::uint64_t quantile(double q) const noexcept {
    if (count_ == 0) return 0;
    auto rank = static_cast<std::uint64_t>(q * static_cast<double>(count_) + 0.5);
    rank = std::clamp<std::uint64_t>(rank, 1, count_);
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::min(midpoint_of(i), max_);
    }
    return max_;
  }

 private:
  // Values below 128 are exact; above, 64 linear sub-buckets per power of two.
  static constexpr unsigned sub_bits = 6;
  static constexpr unsigned exact = 2u << sub_bits;  // 128
  static constexpr unsigned max_exponent = 45;
  static constexpr std::size_t buckets = exact + (max_exponent - sub_bits) * (1u << sub_bits);

  static std::size_t index_of(std::uint64_t v) noexcept {
    if (v < exact) return static_cast<std::size_t>(v);
    v = std::min<std::uint64_t>(v, (std::uint64_t{1} << max_exponent) - 1);
    const unsigned e = static_cast<unsigned>(std::bit_width(v)) - 1;  // >= 7
    const unsigned shift = e - sub_bits;
    return exact + (e - sub_bits - 1) * (1u << sub_bits) + ((v >> shift) - (1u << sub_bits));
  }

  static std::uint64_t midpoint_of(std::size_t i) noexcept {
    if (i < exact) return i;
    const std::size_t k = (i - exact) >> sub_bits;
    const std::uint64_t m = (i - exact) & ((1u << sub_bits) - 1);
    const unsigned shift = static_cast<unsigned>(k) + 1;
    return (((1u << sub_bits) + m) << shift) + (std::uint64_t{1} << shift) / 2;
  }

  std::array<std::uint64_t, buckets> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t max_ = 0;
};

}  // namespace relay::bench
