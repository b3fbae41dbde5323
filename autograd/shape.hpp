#pragma once
// A tensor's shape: up to kMaxRank sizes stored inline, so creating a tensor never allocates for
// its shape. Printed as [2, 3]; a scalar (rank 0) prints as [].
#include "autograd/error.hpp"

#include <array>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

namespace tapegrad {

class Shape {
public:
  static constexpr int kMaxRank = 8;

  Shape() = default;
  Shape(std::initializer_list<std::int64_t> sizes) { assign(sizes.begin(), sizes.end()); }
  Shape(std::span<const std::int64_t> sizes) { assign(sizes.begin(), sizes.end()); }
  Shape(const std::vector<std::int64_t>& sizes) { assign(sizes.begin(), sizes.end()); }

  int rank() const { return rank_; }
  std::size_t size() const { return static_cast<std::size_t>(rank_); }
  std::int64_t operator[](int axis) const { return sizes_[static_cast<std::size_t>(axis)]; }
  std::int64_t& operator[](int axis) { return sizes_[static_cast<std::size_t>(axis)]; }
  const std::int64_t* begin() const { return sizes_.data(); }
  const std::int64_t* end() const { return sizes_.data() + rank_; }
  const std::int64_t* data() const { return sizes_.data(); }

  std::int64_t numel() const {
    std::int64_t n = 1;
    for (int i = 0; i < rank_; ++i)
      n *= sizes_[static_cast<std::size_t>(i)];
    return n;
  }

  void push_back(std::int64_t size) {
    if (rank_ == kMaxRank)
      fail("shape: rank above the maximum of {}", kMaxRank);
    sizes_[static_cast<std::size_t>(rank_++)] = size;
  }

  // The product of the sizes before `axis`, and after it: a tensor viewed as [outer, n, inner].
  std::int64_t outer(int axis) const {
    std::int64_t n = 1;
    for (int i = 0; i < axis; ++i)
      n *= (*this)[i];
    return n;
  }
  std::int64_t inner(int axis) const {
    std::int64_t n = 1;
    for (int i = axis + 1; i < rank_; ++i)
      n *= (*this)[i];
    return n;
  }

  std::vector<std::int64_t> vec() const { return {begin(), end()}; }
  std::string str() const;

  friend bool operator==(const Shape& a, const Shape& b) {
    if (a.rank_ != b.rank_)
      return false;
    for (int i = 0; i < a.rank_; ++i)
      if (a[i] != b[i])
        return false;
    return true;
  }

private:
  template <class It> void assign(It first, It last) {
    for (; first != last; ++first) {
      if (*first < 0)
        fail("shape: sizes must be non-negative, got {}", *first);
      push_back(*first);
    }
  }

  std::array<std::int64_t, kMaxRank> sizes_{};
  int rank_ = 0;
};

// Maps a possibly negative axis (-1 is the last) onto [0, rank), or throws naming the op.
int normalize_axis(std::int64_t axis, int rank, const char* op);

// NumPy broadcasting: aligns trailing axes; each pair must be equal or contain a 1.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

} // namespace tapegrad

template <> struct fmt::formatter<tapegrad::Shape> : fmt::formatter<std::string_view> {
  auto format(const tapegrad::Shape& shape, format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(shape.str(), ctx);
  }
};
