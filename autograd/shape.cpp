#include "autograd/shape.hpp"

#include <fmt/ranges.h>

namespace tapegrad {

std::string Shape::str() const {
  return fmt::format("[{}]", fmt::join(begin(), end(), ", "));
}

int normalize_axis(std::int64_t axis, int rank, const char* op) {
  if (axis < -rank || axis >= rank || rank == 0)
    fail("{}: axis {} is out of range for a tensor of rank {} (expected {} to {})", op, axis, rank,
         -rank, rank - 1);
  return static_cast<int>(axis < 0 ? axis + rank : axis);
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  const int rank = std::max(a.rank(), b.rank());
  Shape out;
  for (int i = 0; i < rank; ++i) {
    const int ia = i - (rank - a.rank()), ib = i - (rank - b.rank());
    const std::int64_t sa = ia >= 0 ? a[ia] : 1, sb = ib >= 0 ? b[ib] : 1;
    if (sa != sb && sa != 1 && sb != 1)
      fail("{}: shapes {} and {} cannot be broadcast (axis {} has sizes {} and {}; expected equal "
           "sizes or a 1)",
           op, a, b, i - rank, sa, sb);
    out.push_back(sa == 1 ? sb : sa);
  }
  return out;
}

} // namespace tapegrad
