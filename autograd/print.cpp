// Printing a tensor the way PyTorch does: nested brackets, aligned columns, long axes elided.
#include "autograd/tape.hpp"
#include "autograd/tensor.hpp"

#include <fmt/format.h>

#include <cmath>
#include <ostream>

namespace tapegrad {

namespace {

constexpr std::int64_t kEdgeItems = 3;     // shown at each end of an elided axis
constexpr std::int64_t kElideAbove = 1000; // elements, as numpy's threshold

struct Printer {
  const Shape& shape;
  std::vector<double> values;
  bool integral;
  bool scientific;
  bool elide;
  std::size_t width = 0;

  std::string number(double v) const {
    if (integral)
      return fmt::format("{}", static_cast<std::int64_t>(v));
    return scientific ? fmt::format("{:.4e}", v) : fmt::format("{:.4f}", v);
  }

  void write(std::string& out, int axis, std::int64_t offset, int indent) const {
    if (axis == shape.rank()) {
      const std::string text = number(values[static_cast<std::size_t>(offset)]);
      out += std::string(width - text.size(), ' ') + text;
      return;
    }
    const std::int64_t n = shape[axis], stride = shape.inner(axis);
    out += '[';
    for (std::int64_t i = 0; i < n; ++i) {
      if (elide && n > 2 * kEdgeItems && i == kEdgeItems) {
        out +=
            axis + 1 == shape.rank()
                ? "..., "
                : fmt::format("...,\n{}", std::string(static_cast<std::size_t>(indent + 1), ' '));
        i = n - kEdgeItems;
      }
      write(out, axis + 1, offset + i * stride, indent + 1);
      if (i + 1 < n)
        out +=
            axis + 1 == shape.rank()
                ? std::string(", ")
                : fmt::format(",{}{}",
                              std::string(static_cast<std::size_t>(shape.rank() - axis - 1), '\n'),
                              std::string(static_cast<std::size_t>(indent + 1), ' '));
    }
    out += ']';
  }
};

} // namespace

std::string Tensor::to_string() const {
  if (!defined())
    return "tensor(undefined)";
  Printer p{shape(), to_vector<double>(), dtype() == kInt64, false, numel() > kElideAbove};
  double largest = 0, smallest = INFINITY;
  for (double v : p.values)
    if (std::isfinite(v) && v != 0) {
      largest = std::max(largest, std::abs(v));
      smallest = std::min(smallest, std::abs(v));
    }
  p.scientific = !p.integral && (largest >= 1e8 || smallest < 1e-4);
  for (double v : p.values)
    p.width = std::max(p.width, p.number(v).size());
  std::string out = "tensor(";
  p.write(out, 0, 0, 7);
  if (dtype() != kFloat32)
    out += fmt::format(", dtype={}", dtype());
  if (requires_grad()) {
    const Tape& tape = Tape::current();
    const TensorImpl& self = *impl();
    if (is_leaf() || self.tape_generation != tape.generation())
      out += ", requires_grad=true";
    else
      out += fmt::format(", grad_fn=<{} #{}>",
                         tape.records()[static_cast<std::size_t>(self.record)].op, self.record);
  }
  return out + ")";
}

std::ostream& operator<<(std::ostream& out, const Tensor& tensor) {
  return out << tensor.to_string();
}

} // namespace tapegrad
