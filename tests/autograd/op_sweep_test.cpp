// The OpInfo sweep (PyTorch's way of testing every op): one table, a row per public op, each run
// over float32 and float64, over 0-D, empty, broadcast and rank-4 shapes (and a wide one that
// reaches the SIMD loops' bodies and tails), fed regular values and the special ones (NaN, +-inf,
// +-0, denormals, +-1e4). For every row and case it checks
//   - the forward against the naive reference (the *_reference kernels, gemm_reference, or for an
//     op that only moves elements, the same op applied to the positions of its inputs);
//   - NaN in, NaN out: every output element computed from a NaN is NaN;
//   - a float64 gradcheck on regular values, where the op is differentiable.
// Adding an op adds a row to ops().
#include "autograd/broadcast.hpp"
#include "autograd/kernels/elementwise.hpp"
#include "autograd/kernels/elementwise_ops.hpp"
#include "autograd/kernels/gemm.hpp"
#include "autograd/kernels/reduce.hpp"
#include "tests/support/autograd_helpers.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

using namespace tapegrad;
using tapegrad::test::distinct_values;
using tapegrad::test::FreshTape;

namespace {

using Inputs = std::vector<Tensor>;

// The shapes every row is run over; a row says which of them its op takes.
enum class Case { Scalar, Empty, Broadcast, Rank4, Wide };
constexpr Case kCases[] = {Case::Scalar, Case::Empty, Case::Broadcast, Case::Rank4, Case::Wide};

const char* case_name(Case c) {
  switch (c) {
  case Case::Scalar:
    return "0-D";
  case Case::Empty:
    return "empty";
  case Case::Broadcast:
    return "broadcast";
  case Case::Rank4:
    return "rank 4";
  case Case::Wide:
    return "wide";
  }
  return "?";
}

// Regular values (distinct, away from kinks and ties: for gradcheck) or the special ones.
enum class Fill { Regular, Special };

// Hands out the float inputs of one case: each call the next values of a pool, so that all the
// inputs of a case are distinct from each other (regular), or see the special values at different
// offsets (special).
class Values {
public:
  Values(Fill fill, DType dtype, std::uint64_t seed)
      : fill_(fill), dtype_(dtype), regular_(distinct_values(1024, seed)) {}

  Fill fill() const { return fill_; }
  DType dtype() const { return dtype_; }

  // For the triangular solves: whether the compiler fuses a multiply and a subtraction (an FMA)
  // may differ between the kernel and its reference, and a denormal product then rounds to 0 in
  // one and not the other, so that a later inf * x is NaN in one and inf in the other. Their
  // special values skip the denormals (every other op gets them).
  void skip_denormals() { skip_denormals_ = true; }

  // positive: regular values made positive (log, sqrt, pow); special values are all used anyway.
  Tensor next(const Shape& shape, bool positive = false) {
    std::vector<double> out;
    for (std::int64_t i = 0; i < shape.numel(); ++i, ++at_) {
      const double v = fill_ == Fill::Special ? special(at_) : regular_[at_ % regular_.size()];
      out.push_back(positive && fill_ == Fill::Regular ? std::abs(v) : v);
    }
    at_ += 5; // the next input starts elsewhere in the cycle
    return from_vector(out, shape, dtype_);
  }

private:
  double special(std::size_t i) const {
    const double denormal = dtype_ == kFloat32 ? std::numeric_limits<float>::denorm_min()
                                               : std::numeric_limits<double>::denorm_min();
    const double inf = std::numeric_limits<double>::infinity();
    const double values[] = {std::numeric_limits<double>::quiet_NaN(),
                             inf,
                             -inf,
                             0.0,
                             -0.0,
                             denormal,
                             -denormal,
                             1e4,
                             -1e4,
                             0.75,
                             -1.5,
                             2.25,
                             -0.4};
    const double v = values[i % std::size(values)];
    return skip_denormals_ && v != 0 && std::abs(v) < 1e-30 ? 64 * v / denormal : v;
  }

  Fill fill_;
  DType dtype_;
  std::vector<double> regular_;
  std::size_t at_ = 0;
  bool skip_denormals_ = false;
};

// How an output element depends on the inputs, for the NaN check: elementwise (same position),
// broadcast (the positions a binary op's plan pairs), along an axis (the run it reduces over), all
// of the input, a matrix product, or a linear layer. Moves: the op only moves or selects elements,
// and the exact comparison with the reference checks where each NaN goes.
// Solve: no simple rule (row i of a triangular solve reads the rows before it); the comparison
// with the reference checks the NaNs.
enum class Depends { Moves, Elementwise, Broadcast, Axis, All, Matmul, Linear, Solve };

struct OpInfo {
  std::string name;
  // The op's inputs for one case, or nothing when the op does not take that case.
  std::function<std::optional<Inputs>(Case, Values&)> inputs;
  std::function<Tensor(const Inputs&)> op;
  // The same result by the naive definition; for Depends::Moves rows it may be left empty: the
  // op applied to the inputs' positions is the reference.
  std::function<Tensor(const Inputs&)> reference;
  Depends depends = Depends::Moves;
  bool sums = false;          // a sum of products: errors scale with the sum of magnitudes
  bool differentiable = true; // false: the op returns indices
  int constant_inputs = 0;    // how many leading inputs are not differentiated (a condition)
};

// ----- shapes of the families -----

std::optional<Shape> elementwise_shape(Case c) {
  switch (c) {
  case Case::Scalar:
    return Shape{};
  case Case::Empty:
    return Shape{0, 3};
  case Case::Rank4:
    return Shape{2, 1, 3, 2};
  case Case::Wide:
    return Shape{3, 37};
  case Case::Broadcast:
    break;
  }
  return std::nullopt;
}

std::optional<std::pair<Shape, Shape>> broadcast_shapes_of(Case c) {
  switch (c) {
  case Case::Scalar:
    return std::pair{Shape{}, Shape{}};
  case Case::Empty:
    return std::pair{Shape{0, 3}, Shape{3}};
  case Case::Broadcast:
    return std::pair{Shape{2, 1, 3}, Shape{4, 1}};
  case Case::Rank4:
    return std::pair{Shape{2, 3, 1, 2}, Shape{1, 3, 4, 1}};
  case Case::Wide:
    return std::pair{Shape{3, 37}, Shape{37}};
  }
  return std::nullopt;
}

// The axis a reduction row reduces: 0 of a 0-D tensor, an inner axis of the rank-4 one (the
// lanes-across-inner path), the last otherwise (the SIMD row path).
std::int64_t reduction_axis(int rank) {
  return rank == 0 ? 0 : rank == 4 ? 1 : rank - 1;
}

kernels::AxisView axis_view(const Shape& s, std::int64_t axis) {
  if (s.rank() == 0)
    return {1, 1, 1};
  const int a = normalize_axis(axis, s.rank(), "axis_view");
  return {s.outer(a), s[a], s.inner(a)};
}

// ----- inputs -----

std::function<std::optional<Inputs>(Case, Values&)> one_input(bool positive = false) {
  return [positive](Case c, Values& v) -> std::optional<Inputs> {
    const auto shape = elementwise_shape(c);
    if (!shape)
      return std::nullopt;
    return Inputs{v.next(*shape, positive)};
  };
}

std::function<std::optional<Inputs>(Case, Values&)> two_inputs() {
  return [](Case c, Values& v) -> std::optional<Inputs> {
    const auto shapes = broadcast_shapes_of(c);
    if (!shapes)
      return std::nullopt;
    return Inputs{v.next(shapes->first), v.next(shapes->second)};
  };
}

// For a reduction: 0-D, [0, 3], [2, 3, 1, 2] and [3, 37]; `empty_axis`: whether the op takes a
// reduction over an empty run (sum does, amax does not).
std::function<std::optional<Inputs>(Case, Values&)> reduction_input(bool over_all,
                                                                    bool empty_run_allowed) {
  return [=](Case c, Values& v) -> std::optional<Inputs> {
    const auto shape = elementwise_shape(c);
    if (!shape || (c == Case::Empty && over_all && !empty_run_allowed))
      return std::nullopt;
    return Inputs{v.next(*shape)};
  };
}

Tensor int64_input(const std::vector<std::int64_t>& values, const Shape& shape) {
  return from_vector(values, shape);
}

// ----- references -----

template <class F> Tensor like(const Tensor& x, const Shape& shape, F&& fill) {
  Tensor y = empty(shape, x.dtype());
  dispatch_floating(x.dtype(), "reference", [&]<class T>() { fill(y.data_ptr<T>(), T{}); });
  return y;
}

template <class Op> Tensor unary_reference(const Tensor& x, double a = 0, double b = 0) {
  return like(x, x.shape(), [&]<class T>(T* y, T) {
    kernels::unary_forward_reference<Op>(x.data_ptr<T>(), y, x.numel(), T(a), T(b));
  });
}

template <class Op> Tensor binary_reference(const Tensor& a, const Tensor& b) {
  const Shape out = broadcast_shapes(a.shape(), b.shape(), "reference");
  return like(a, out, [&]<class T>(T* z, T) {
    kernels::binary_forward_reference<Op>(a.data_ptr<T>(), b.data_ptr<T>(), z,
                                          broadcast_plan(a.shape(), b.shape(), out));
  });
}

Shape reduced_shape(const Shape& s, std::int64_t axis) {
  if (s.rank() == 0)
    return Shape{};
  const int a = normalize_axis(axis, s.rank(), "reduced_shape");
  Shape out;
  for (int i = 0; i < s.rank(); ++i)
    if (i != a)
      out.push_back(s[i]);
  return out;
}

// A reduction reference kernel along an axis: kernel(x, y, view) with T deduced.
template <class Kernel>
Tensor along(const Tensor& x, std::int64_t axis, bool keep_shape, Kernel&& kernel) {
  return like(x, keep_shape ? x.shape() : reduced_shape(x.shape(), axis),
              [&]<class T>(T* y, T) { kernel(x.data_ptr<T>(), y, axis_view(x.shape(), axis)); });
}

template <bool Max> ValuesAndIndices extremes_reference(const Tensor& x, std::int64_t axis) {
  Tensor indices = empty(reduced_shape(x.shape(), axis), kInt64);
  Tensor values = along(x, axis, false, [&]<class T>(const T* in, T* out, kernels::AxisView v) {
    kernels::extreme_axis_forward_reference<Max>(in, out, indices.data_ptr<std::int64_t>(), v);
  });
  return {values, indices};
}

Tensor sum_reference(const Tensor& x, std::int64_t axis) {
  return along(x, axis, false, [](const auto* in, auto* out, kernels::AxisView v) {
    kernels::sum_axis_forward_reference(in, out, v);
  });
}

Tensor mean_reference(const Tensor& x, std::int64_t axis) {
  const std::int64_t n = axis_view(x.shape(), axis).n;
  return along(x, axis, false, [n]<class T>(const T* in, T* out, kernels::AxisView v) {
    kernels::sum_axis_forward_reference(in, out, v);
    for (std::int64_t i = 0; i < v.outer * v.inner; ++i)
      out[i] = out[i] / static_cast<T>(n);
  });
}

Tensor flat(const Tensor& x) {
  return x.detach().reshape({-1});
}

// matmul by gemm_reference, one output matrix at a time; a 1-D operand is a row (left) or a
// column (right), the added axis dropped.
Tensor matmul_reference(const Tensor& a_in, const Tensor& b_in) {
  const Tensor a = a_in.dim() == 1 ? a_in.detach().reshape({1, a_in.size(0)}) : a_in.detach();
  const Tensor b = b_in.dim() == 1 ? b_in.detach().reshape({b_in.size(0), 1}) : b_in.detach();
  const std::int64_t m = a.size(-2), k = a.size(-1), n = b.size(-1);
  const BatchPlan batches = plan_batches(a.shape(), b.shape(), "reference");
  Shape shape = batches.shape;
  if (a_in.dim() > 1)
    shape.push_back(m);
  if (b_in.dim() > 1)
    shape.push_back(n);
  return like(a, shape, [&]<class T>(T* c, T) {
    kernels::for_each_broadcast(
        batches.plan, [&](std::int64_t i, std::int64_t ia, std::int64_t ib) {
          kernels::gemm_reference<T>({false, false, m, n, k, k, n, n}, T(1),
                                     a.data_ptr<T>() + ia * m * k, b.data_ptr<T>() + ib * k * n,
                                     T(0), c + i * m * n);
        });
  });
}

Tensor linear_reference(const Tensor& x, const Tensor& w, const Tensor& bias) {
  const std::int64_t n = x.size(0), in = x.size(1), out = w.size(0);
  return like(x, Shape{n, out}, [&]<class T>(T* y, T) {
    for (std::int64_t r = 0; r < n; ++r)
      std::copy_n(bias.data_ptr<T>(), out, y + r * out);
    kernels::gemm_reference<T>({false, true, n, out, in, in, in, out}, T(1), x.data_ptr<T>(),
                               w.data_ptr<T>(), T(1), y);
  });
}

// X = op(A)^-1 B by substitution, written out here from the definition, for A's batch axes
// broadcast against B's.
Tensor solve_reference(const Tensor& a, const Tensor& b, bool upper, bool transpose) {
  const std::int64_t d = a.size(-1), n = b.size(-1);
  const BatchPlan batches = plan_batches(a.shape(), b.shape(), "reference");
  Shape shape = batches.shape;
  shape.push_back(d);
  shape.push_back(n);
  return like(a, shape, [&]<class T>(T* x, T) {
    kernels::for_each_broadcast(batches.plan,
                                [&](std::int64_t s, std::int64_t sa, std::int64_t sb) {
                                  const T* A = a.data_ptr<T>() + sa * d * d;
                                  const T* B = b.data_ptr<T>() + sb * d * n;
                                  T* X = x + s * d * n;
                                  const auto op_a = [&](std::int64_t i, std::int64_t j) {
                                    const std::int64_t r = transpose ? j : i, c = transpose ? i : j;
                                    return (upper ? c >= r : c <= r) ? A[r * d + c] : T(0);
                                  };
                                  const bool lower = upper == transpose;
                                  for (std::int64_t c = 0; c < n; ++c)
                                    for (std::int64_t step = 0; step < d; ++step) {
                                      const std::int64_t i = lower ? step : d - 1 - step;
                                      T acc = B[i * n + c];
                                      for (std::int64_t j = 0; j < d; ++j)
                                        if (lower ? j < i : j > i)
                                          acc -= op_a(i, j) * X[j * n + c];
                                      X[i * n + c] = acc / op_a(i, i);
                                    }
                                });
  });
}

// where by its definition: each input expanded to the output's shape, then picked element by
// element.
Tensor where_reference(const Inputs& in) {
  const Shape out = broadcast_shapes(broadcast_shapes(in[0].shape(), in[1].shape(), "reference"),
                                     in[2].shape(), "reference");
  const auto expand = [&](const Tensor& t) {
    std::vector<double> values = t.to_vector<double>(),
                        expanded(static_cast<std::size_t>(out.numel()));
    kernels::strided_copy(values.data(), expanded.data(),
                          broadcast_plan(t.shape(), t.shape(), out));
    return expanded;
  };
  const std::vector<double> condition = expand(in[0]), a = expand(in[1]), b = expand(in[2]);
  std::vector<double> picked;
  for (std::size_t i = 0; i < a.size(); ++i)
    picked.push_back(condition[i] != 0 ? a[i] : b[i]);
  return from_vector(picked, out, in[1].dtype());
}

// For an op that only moves or selects elements: the op applied to the positions of its float
// inputs (1, 2, ... in float64; 0 is a zero the op writes) says where each output element comes
// from, and the reference is the inputs' values taken from there, bit for bit.
Tensor moved_reference(const OpInfo& row, const Inputs& in) {
  Inputs positions;
  std::vector<double> values;
  for (const Tensor& t : in) {
    if (!is_floating(t.dtype())) {
      positions.push_back(t);
      continue;
    }
    std::vector<double> p;
    for (double v : t.to_vector<double>()) {
      values.push_back(v);
      p.push_back(static_cast<double>(values.size()));
    }
    positions.push_back(from_vector(p, t.shape(), kFloat64));
  }
  const Tensor where_from = row.op(positions);
  const DType dtype = in.front().dtype();
  std::vector<double> out;
  for (double p : where_from.to_vector<double>())
    out.push_back(p == 0 ? 0.0 : values[static_cast<std::size_t>(p) - 1]);
  return from_vector(out, where_from.shape(), dtype);
}

// ----- the NaN check -----

// For each output element, whether a NaN among the inputs it is computed from.
std::vector<bool> from_nan(const OpInfo& row, const Inputs& in, const Tensor& out) {
  std::vector<bool> nan(static_cast<std::size_t>(out.numel()), false);
  std::vector<std::vector<double>> v;
  for (const Tensor& t : in)
    v.push_back(t.to_vector<double>());
  const auto is_nan = [&](std::size_t input, std::int64_t i) {
    return std::isnan(v[input][static_cast<std::size_t>(i)]);
  };
  const auto mark = [&](std::int64_t i) { nan[static_cast<std::size_t>(i)] = true; };
  switch (row.depends) {
  case Depends::Moves:
  case Depends::Solve:
    break;
  case Depends::Elementwise:
    for (std::int64_t i = 0; i < out.numel(); ++i)
      if (is_nan(0, i))
        mark(i);
    break;
  case Depends::Broadcast:
    kernels::for_each_broadcast(broadcast_plan(in[0].shape(), in[1].shape(), out.shape()),
                                [&](std::int64_t i, std::int64_t ia, std::int64_t ib) {
                                  if (is_nan(0, ia) || is_nan(1, ib))
                                    mark(i);
                                });
    break;
  case Depends::Axis: {
    const kernels::AxisView view = axis_view(in[0].shape(), reduction_axis(in[0].dim()));
    const bool same_shape = out.numel() == in[0].numel() && view.n != 1;
    for (std::int64_t o = 0; o < view.outer; ++o)
      for (std::int64_t i = 0; i < view.inner; ++i) {
        bool any = false;
        for (std::int64_t j = 0; j < view.n; ++j)
          any = any || is_nan(0, view.at(o, j, i));
        if (!any)
          continue;
        if (same_shape)
          for (std::int64_t j = 0; j < view.n; ++j)
            mark(view.at(o, j, i));
        else
          mark(o * view.inner + i);
      }
    break;
  }
  case Depends::All:
    for (std::int64_t i = 0; i < in[0].numel(); ++i)
      if (is_nan(0, i))
        std::fill(nan.begin(), nan.end(), true);
    break;
  case Depends::Matmul: {
    const Shape sa = in[0].dim() == 1 ? Shape{1, in[0].size(0)} : in[0].shape();
    const Shape sb = in[1].dim() == 1 ? Shape{in[1].size(0), 1} : in[1].shape();
    const std::int64_t m = sa[sa.rank() - 2], k = sa[sa.rank() - 1], n = sb[sb.rank() - 1];
    kernels::for_each_broadcast(plan_batches(sa, sb, "nan").plan,
                                [&](std::int64_t s, std::int64_t sa_i, std::int64_t sb_i) {
                                  for (std::int64_t r = 0; r < m; ++r)
                                    for (std::int64_t c = 0; c < n; ++c)
                                      for (std::int64_t p = 0; p < k; ++p)
                                        if (is_nan(0, (sa_i * m + r) * k + p) ||
                                            is_nan(1, (sb_i * k + p) * n + c))
                                          mark((s * m + r) * n + c);
                                });
    break;
  }
  case Depends::Linear: {
    const std::int64_t rows = in[0].size(0), k = in[0].size(1), cols = in[1].size(0);
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t c = 0; c < cols; ++c) {
        bool any = is_nan(2, c);
        for (std::int64_t p = 0; p < k; ++p)
          any = any || is_nan(0, r * k + p) || is_nan(1, c * k + p);
        if (any)
          mark(r * cols + c);
      }
    break;
  }
  }
  return nan;
}

// ----- comparing -----

// The magnitude an element's rounding error scales with: the reference value and the largest input
// it reads, or, for sums of products, the same sum over magnitudes.
std::vector<double> error_scale(const OpInfo& row, const Inputs& in, const Tensor& want) {
  std::vector<double> scale;
  for (double w : want.to_vector<double>())
    scale.push_back(std::isfinite(w) ? std::abs(w) : 0.0);
  if (row.sums) {
    Inputs magnitudes;
    for (const Tensor& t : in)
      magnitudes.push_back(is_floating(t.dtype()) ? abs(t.detach()) : t);
    const std::vector<double> bound = row.reference(magnitudes).to_vector<double>();
    for (std::size_t i = 0; i < scale.size(); ++i)
      scale[i] = std::max(scale[i], std::isfinite(bound[i]) ? bound[i] : 0.0);
  } else if (row.depends != Depends::Moves) {
    double largest = 0;
    for (const Tensor& t : in)
      for (double x : t.to_vector<double>())
        if (std::isfinite(x))
          largest = std::max(largest, std::abs(x));
    for (double& s : scale)
      s = std::max(s, largest);
  }
  return scale;
}

void check_forward(const OpInfo& row, const Inputs& in) {
  NoGradGuard no_grad;
  const Tensor got = row.op(in);
  const Tensor want = row.reference ? row.reference(in) : moved_reference(row, in);
  REQUIRE(got.shape() == want.shape());
  REQUIRE(got.dtype() == want.dtype());
  const std::vector<double> g = got.to_vector<double>(), w = want.to_vector<double>();
  const std::vector<double> scale = error_scale(row, in, want);
  const std::vector<bool> nan = from_nan(row, in, got);
  const double tolerance = row.depends == Depends::Moves || !is_floating(got.dtype()) ? 0.0
                           : in.front().dtype() == kFloat32                           ? 1e-5
                                                                                      : 1e-12;
  for (std::size_t i = 0; i < g.size(); ++i) {
    INFO("element " << i << ": got " << g[i] << ", want " << w[i]);
    if (nan[i] && is_floating(got.dtype()))
      CHECK(std::isnan(g[i])); // NaN in, NaN out
    if (std::isnan(w[i]) || std::isnan(g[i])) {
      CHECK(std::isnan(g[i]) == std::isnan(w[i]));
      continue;
    }
    if (std::isinf(w[i]) || tolerance == 0) {
      CHECK(g[i] == w[i]);
      if (row.depends == Depends::Moves && g[i] == 0) // a moved -0 stays -0
        CHECK(std::signbit(g[i]) == std::signbit(w[i]));
      continue;
    }
    CHECK(std::abs(g[i] - w[i]) <= tolerance * std::max(scale[i], 1.0));
  }
}

void check_gradient(const OpInfo& row, const Inputs& in) {
  Inputs leaves;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const bool differentiated =
        is_floating(in[i].dtype()) && static_cast<int>(i) >= row.constant_inputs;
    leaves.push_back(differentiated ? in[i].detach().clone().requires_grad_() : in[i]);
  }
  const GradcheckResult result = gradcheck(row.op, leaves);
  INFO(result.message);
  CHECK(result.passed);
  // Backward runs on every case, the empty ones included, and gives each input a gradient of its
  // shape.
  FreshTape fresh;
  Tensor out = row.op(leaves);
  if (out.requires_grad()) {
    sum(out * 1.0).backward();
    for (const Tensor& leaf : leaves)
      if (leaf.requires_grad() && leaf.grad().defined())
        CHECK(leaf.grad().shape() == leaf.shape());
  }
}

// ----- the table -----

#define TAPEGRAD_UNARY_ROW_(NAME, VALUE, DERIVATIVE)                                               \
  {#NAME, one_input(positive_domain(#NAME)), [](const Inputs& in) { return NAME(in[0]); },         \
   [](const Inputs& in) { return unary_reference<kernels::NAME##_op>(in[0]); },                    \
   Depends::Elementwise},

bool positive_domain(std::string_view name) {
  return name == "log" || name == "log1p" || name == "sqrt";
}

template <class Op>
OpInfo scalar_row(const std::string& name, std::function<Tensor(const Tensor&)> op, double a,
                  double b = 0, bool positive = false) {
  return {name, one_input(positive), [op](const Inputs& in) { return op(in[0]); },
          [a, b](const Inputs& in) { return unary_reference<Op>(in[0], a, b); },
          Depends::Elementwise};
}

template <class Op>
OpInfo binary_row(const std::string& name, Tensor (*op)(const Tensor&, const Tensor&)) {
  return {name, two_inputs(), [op](const Inputs& in) { return op(in[0], in[1]); },
          [](const Inputs& in) { return binary_reference<Op>(in[0], in[1]); }, Depends::Broadcast};
}

// A reduction along reduction_axis(rank).
OpInfo axis_row(const std::string& name, bool empty_run_allowed,
                std::function<Tensor(const Tensor&, std::int64_t)> op,
                std::function<Tensor(const Tensor&, std::int64_t)> reference, bool sums = false,
                bool differentiable = true) {
  return {name,
          reduction_input(false, empty_run_allowed),
          [op](const Inputs& in) { return op(in[0], reduction_axis(in[0].dim())); },
          [reference](const Inputs& in) { return reference(in[0], reduction_axis(in[0].dim())); },
          Depends::Axis,
          sums,
          differentiable};
}

// A reduction over every element.
OpInfo all_row(const std::string& name, bool empty_allowed, std::function<Tensor(const Tensor&)> op,
               std::function<Tensor(const Tensor&)> reference, bool sums = false,
               bool differentiable = true) {
  return {name,
          reduction_input(true, empty_allowed),
          [op](const Inputs& in) { return op(in[0]); },
          [reference](const Inputs& in) { return reference(in[0]); },
          Depends::All,
          sums,
          differentiable};
}

// A move of one input's elements, on the shapes of the elementwise family (or those given).
OpInfo move_row(const std::string& name, std::function<Tensor(const Tensor&)> op,
                std::function<bool(const Shape&)> takes = nullptr) {
  return {name,
          [takes](Case c, Values& v) -> std::optional<Inputs> {
            const auto shape = elementwise_shape(c);
            if (!shape || (takes && !takes(*shape)))
              return std::nullopt;
            return Inputs{v.next(*shape)};
          },
          [op](const Inputs& in) { return op(in[0]); }, nullptr};
}

// A move on matrices: [3, 3], [0, 2, 3], [2, 1, 3, 4], [4, 37].
OpInfo matrix_row(const std::string& name, std::function<Tensor(const Tensor&)> op) {
  return {name,
          [](Case c, Values& v) -> std::optional<Inputs> {
            switch (c) {
            case Case::Scalar:
              return Inputs{v.next({3, 3})};
            case Case::Empty:
              return Inputs{v.next({0, 2, 3})};
            case Case::Rank4:
              return Inputs{v.next({2, 1, 3, 4})};
            case Case::Wide:
              return Inputs{v.next({4, 37})};
            case Case::Broadcast:
              break;
            }
            return std::nullopt;
          },
          [op](const Inputs& in) { return op(in[0]); }, nullptr};
}

// A triangular A (a regular, non-zero diagonal in [1, 2]; everything else the case's values) and
// a B whose batch axes broadcast against A's.
std::function<std::optional<Inputs>(Case, Values&)> triangular_inputs() {
  return [](Case c, Values& v) -> std::optional<Inputs> {
    v.skip_denormals();
    std::pair<Shape, Shape> shapes;
    switch (c) {
    case Case::Scalar:
      shapes = {{1, 1}, {1, 1}};
      break;
    case Case::Empty:
      shapes = {{0, 3, 3}, {3, 2}};
      break;
    case Case::Broadcast:
      shapes = {{2, 1, 3, 3}, {3, 3, 2}};
      break;
    case Case::Rank4:
      shapes = {{2, 2, 3, 3}, {2, 2, 3, 1}};
      break;
    case Case::Wide:
      shapes = {{5, 5}, {5, 37}};
      break;
    }
    std::vector<double> a = v.next(shapes.first).to_vector<double>();
    const std::int64_t d = shapes.first[shapes.first.rank() - 1];
    for (std::size_t s = 0; s < a.size(); s += static_cast<std::size_t>(d * d))
      for (std::int64_t i = 0; i < d; ++i)
        a[s + static_cast<std::size_t>(i * (d + 1))] = 1.0 + 0.25 * static_cast<double>(i % 4 + 1);
    return Inputs{from_vector(a, shapes.first, v.dtype()), v.next(shapes.second)};
  };
}

std::vector<OpInfo> make_ops() {
  std::vector<OpInfo> rows{TAPEGRAD_UNARY_OPS(TAPEGRAD_UNARY_ROW_)};
  using namespace kernels;
  const auto add_rows = [&rows](std::initializer_list<OpInfo> more) {
    rows.insert(rows.end(), more);
  };
  add_rows({
      scalar_row<neg_op>(
          "-x", [](const Tensor& x) { return -x; }, 0),
      scalar_row<add_scalar_op>(
          "x + s", [](const Tensor& x) { return x + 0.5; }, 0.5),
      scalar_row<add_scalar_op>(
          "s + x", [](const Tensor& x) { return 0.5 + x; }, 0.5),
      scalar_row<sub_scalar_op>(
          "x - s", [](const Tensor& x) { return x - 0.5; }, 0.5),
      scalar_row<rsub_scalar_op>(
          "s - x", [](const Tensor& x) { return 0.5 - x; }, 0.5),
      scalar_row<mul_scalar_op>(
          "x * s", [](const Tensor& x) { return x * -1.5; }, -1.5),
      scalar_row<mul_scalar_op>(
          "s * x", [](const Tensor& x) { return -1.5 * x; }, -1.5),
      scalar_row<div_scalar_op>(
          "x / s", [](const Tensor& x) { return x / 3.0; }, 3.0),
      scalar_row<rdiv_scalar_op>(
          "s / x", [](const Tensor& x) { return 3.0 / x; }, 3.0),
      scalar_row<pow_scalar_op>(
          "pow", [](const Tensor& x) { return pow(x, 1.7); }, 1.7, 0, true),
      scalar_row<pow_scalar_op>(
          "pow 2", [](const Tensor& x) { return x.pow(2.0); }, 2.0),
      // The bounds are odd multiples of 0.05, which regular values keep away from.
      scalar_row<clamp_op>(
          "clamp", [](const Tensor& x) { return clamp(x, -0.45, 0.55); }, -0.45, 0.55),
      scalar_row<elu_op>(
          "elu", [](const Tensor& x) { return elu(x, 1.3); }, 1.3),
  });
  add_rows({
      binary_row<add_op>("add", add),
      binary_row<sub_op>("sub", sub),
      binary_row<mul_op>("mul", mul),
      binary_row<div_op>("div", div),
      binary_row<minimum_op>("minimum", minimum),
      binary_row<maximum_op>("maximum", maximum),
      binary_row<add_op>("a + b", [](const Tensor& a, const Tensor& b) { return a + b; }),
      binary_row<sub_op>("a - b", [](const Tensor& a, const Tensor& b) { return a - b; }),
      binary_row<mul_op>("a * b", [](const Tensor& a, const Tensor& b) { return a * b; }),
      binary_row<div_op>("a / b", [](const Tensor& a, const Tensor& b) { return a / b; }),
  });
  // where: the condition broadcasts too; a float condition with a NaN (true) and -0 (false).
  add_rows({{"where",
             [](Case c, Values& v) -> std::optional<Inputs> {
               const auto shapes = broadcast_shapes_of(c);
               if (!shapes)
                 return std::nullopt;
               const Shape condition_shape = c == Case::Broadcast ? Shape{3} : shapes->second;
               std::vector<double> condition;
               for (std::int64_t i = 0; i < condition_shape.numel(); ++i)
                 condition.push_back(i % 3 == 0   ? 0.0
                                     : i % 3 == 1 ? std::numeric_limits<double>::quiet_NaN()
                                                  : -0.0);
               return Inputs{from_vector(condition, condition_shape, kFloat64),
                             v.next(shapes->first), v.next(shapes->second)};
             },
             [](const Inputs& in) { return where(in[0], in[1], in[2]); }, where_reference,
             Depends::Moves, false, true, 1}});
  // Reductions.
  add_rows({
      axis_row(
          "sum", true, [](const Tensor& x, std::int64_t a) { return sum(x, a); }, sum_reference,
          true),
      axis_row(
          "mean", true, [](const Tensor& x, std::int64_t a) { return x.mean(a); }, mean_reference,
          true),
      axis_row(
          "amax", false, [](const Tensor& x, std::int64_t a) { return amax(x, a); },
          [](const Tensor& x, std::int64_t a) { return extremes_reference<true>(x, a).values; }),
      axis_row(
          "amin", false, [](const Tensor& x, std::int64_t a) { return amin(x, a); },
          [](const Tensor& x, std::int64_t a) { return extremes_reference<false>(x, a).values; }),
      axis_row(
          "max(axis).values", false,
          [](const Tensor& x, std::int64_t a) { return max(x, a).values; },
          [](const Tensor& x, std::int64_t a) { return extremes_reference<true>(x, a).values; }),
      axis_row(
          "min(axis).values", false,
          [](const Tensor& x, std::int64_t a) { return x.min(a).values; },
          [](const Tensor& x, std::int64_t a) { return extremes_reference<false>(x, a).values; }),
      axis_row(
          "max(axis).indices", false,
          [](const Tensor& x, std::int64_t a) { return max(x, a).indices; },
          [](const Tensor& x, std::int64_t a) { return extremes_reference<true>(x, a).indices; },
          false, false),
      axis_row(
          "argmax", false, [](const Tensor& x, std::int64_t a) { return argmax(x, a); },
          [](const Tensor& x, std::int64_t a) { return extremes_reference<true>(x, a).indices; },
          false, false),
      axis_row(
          "argmin", false, [](const Tensor& x, std::int64_t a) { return x.argmin(a); },
          [](const Tensor& x, std::int64_t a) { return extremes_reference<false>(x, a).indices; },
          false, false),
      axis_row(
          "logsumexp", true, [](const Tensor& x, std::int64_t a) { return logsumexp(x, a); },
          [](const Tensor& x, std::int64_t a) {
            return along(x, a, false, [](const auto* in, auto* out, kernels::AxisView v) {
              kernels::logsumexp_axis_forward_reference(in, out, v);
            });
          }),
      axis_row(
          "log_softmax", true, [](const Tensor& x, std::int64_t a) { return log_softmax(x, a); },
          [](const Tensor& x, std::int64_t a) {
            return along(x, a, true, [](const auto* in, auto* out, kernels::AxisView v) {
              kernels::log_softmax_axis_forward_reference(in, out, v);
            });
          }),
      axis_row(
          "softmax", true, [](const Tensor& x, std::int64_t a) { return softmax(x, a); },
          [](const Tensor& x, std::int64_t a) {
            return along(x, a, true, []<class T>(const T* in, T* out, kernels::AxisView v) {
              kernels::log_softmax_axis_forward_reference(in, out, v);
              for (std::int64_t i = 0; i < v.outer * v.n * v.inner; ++i)
                out[i] = std::exp(out[i]);
            });
          }),
      all_row(
          "sum()", true, [](const Tensor& x) { return sum(x); },
          [](const Tensor& x) { return sum_reference(flat(x), 0); }, true),
      all_row(
          "mean()", true, [](const Tensor& x) { return mean(x); },
          [](const Tensor& x) { return mean_reference(flat(x), 0); }, true),
      all_row(
          "amax()", false, [](const Tensor& x) { return amax(x); },
          [](const Tensor& x) { return extremes_reference<true>(flat(x), 0).values; }),
      all_row(
          "amin()", false, [](const Tensor& x) { return x.amin(); },
          [](const Tensor& x) { return extremes_reference<false>(flat(x), 0).values; }),
      all_row(
          "max()", false, [](const Tensor& x) { return max(x); },
          [](const Tensor& x) { return extremes_reference<true>(flat(x), 0).values; }),
      all_row(
          "min()", false, [](const Tensor& x) { return min(x); },
          [](const Tensor& x) { return extremes_reference<false>(flat(x), 0).values; }),
      all_row(
          "argmax()", false, [](const Tensor& x) { return argmax(x); },
          [](const Tensor& x) { return extremes_reference<true>(flat(x), 0).indices; }, false,
          false),
      all_row(
          "argmin()", false, [](const Tensor& x) { return argmin(x); },
          [](const Tensor& x) { return extremes_reference<false>(flat(x), 0).indices; }, false,
          false),
  });
  // Linear algebra.
  add_rows({
      {"matmul",
       [](Case c, Values& v) -> std::optional<Inputs> {
         switch (c) {
         case Case::Scalar: // two vectors: their dot product, of shape []
           return Inputs{v.next({3}), v.next({3})};
         case Case::Empty:
           return Inputs{v.next({0, 2, 3}), v.next({3, 2})};
         case Case::Broadcast:
           return Inputs{v.next({2, 1, 2, 3}), v.next({3, 3, 2})};
         case Case::Rank4:
           return Inputs{v.next({2, 2, 2, 3}), v.next({2, 2, 3, 2})};
         case Case::Wide:
           return Inputs{v.next({3, 37}), v.next({37, 20})};
         }
         return std::nullopt;
       },
       [](const Inputs& in) { return matmul(in[0], in[1]); },
       [](const Inputs& in) { return matmul_reference(in[0], in[1]); }, Depends::Matmul, true},
      {"linear",
       [](Case c, Values& v) -> std::optional<Inputs> {
         const std::int64_t rows = c == Case::Empty ? 0 : c == Case::Broadcast ? 4 : -1;
         if (c == Case::Wide)
           return Inputs{v.next({5, 37}), v.next({20, 37}), v.next({20})};
         if (rows < 0)
           return std::nullopt;
         return Inputs{v.next({rows, 3}), v.next({2, 3}), v.next({2})};
       },
       [](const Inputs& in) { return linear(in[0], in[1], in[2]); },
       [](const Inputs& in) { return linear_reference(in[0], in[1], in[2]); }, Depends::Linear,
       true},
      {"solve_triangular", triangular_inputs(),
       [](const Inputs& in) { return solve_triangular(in[0], in[1]); },
       [](const Inputs& in) { return solve_reference(in[0], in[1], false, false); },
       Depends::Solve},
      {"solve_triangular upper transposed", triangular_inputs(),
       [](const Inputs& in) {
         return solve_triangular(in[0], in[1], {.upper = true, .transpose = true});
       },
       [](const Inputs& in) { return solve_reference(in[0], in[1], true, true); }, Depends::Solve},
      {"solve_triangular from the right", triangular_inputs(),
       [](const Inputs& in) {
         return solve_triangular(in[0], in[1].mT(), {.upper = true, .left = false});
       },
       [](const Inputs& in) { return solve_reference(in[0], in[1], true, true).mT(); },
       Depends::Solve},
      move_row(
          "transpose", [](const Tensor& x) { return transpose(x, 0, -1); },
          [](const Shape& s) { return s.rank() > 0; }),
      move_row(
          "t", [](const Tensor& x) { return x.t(); }, [](const Shape& s) { return s.rank() <= 2; }),
      matrix_row("mT", [](const Tensor& x) { return x.mT(); }),
      matrix_row("tril", [](const Tensor& x) { return tril(x, -1); }),
      matrix_row("triu", [](const Tensor& x) { return x.triu(1); }),
      matrix_row("diagonal", [](const Tensor& x) { return diagonal(x, 1, -1, -2); }),
      matrix_row("diag_embed", [](const Tensor& x) { return diag_embed(x, -1, 0, -1); }),
      move_row(
          "diag", [](const Tensor& x) { return diag(x, 1); },
          [](const Shape& s) { return s.rank() == 2; }),
  });
  // Shapes and indexing.
  add_rows({
      move_row("reshape", [](const Tensor& x) { return reshape(x, {-1}); }),
      move_row("unsqueeze", [](const Tensor& x) { return x.unsqueeze(0); }),
      move_row("squeeze", [](const Tensor& x) { return squeeze(x.unsqueeze(-1), -1); }),
      move_row(
          "slice", [](const Tensor& x) { return x.slice(-1, 1, 100, 2); },
          [](const Shape& s) { return s.rank() > 0; }),
      move_row(
          "cat",
          [](const Tensor& x) {
            return cat({x, x * 1.0, x}, 0);
          },
          [](const Shape& s) { return s.rank() > 0; }),
      move_row(
          "index_select",
          [](const Tensor& x) {
            return x.index_select(-1, int64_input({0, x.size(-1) - 1, 0}, {3}));
          },
          [](const Shape& s) { return s.rank() > 0 && s[s.rank() - 1] > 0; }),
      move_row(
          "gather",
          [](const Tensor& x) {
            std::vector<std::int64_t> index;
            for (std::int64_t i = 0; i < x.numel(); ++i)
              index.push_back((i * 7 + 1) % x.size(-1));
            return gather(x, -1, int64_input(index, x.shape()));
          },
          [](const Shape& s) { return s.rank() > 0 && s[s.rank() - 1] > 0; }),
      move_row("clone", [](const Tensor& x) { return x.clone(); }),
      move_row("to", [](const Tensor& x) { return x.to(x.dtype()); }),
  });
  return rows;
}

const std::vector<OpInfo>& ops() {
  static const std::vector<OpInfo> table = make_ops();
  return table;
}

} // namespace

TEST_CASE("op sweep: forward against the reference, NaN in NaN out, every op, shape and dtype",
          "[ops][sweep]") {
  FreshTape fresh;
  std::uint64_t seed = 1;
  for (const OpInfo& row : ops())
    for (Case c : kCases)
      for (DType dtype : {kFloat32, kFloat64})
        for (Fill fill : {Fill::Regular, Fill::Special}) {
          Values values(fill, dtype, seed++);
          const std::optional<Inputs> in = row.inputs(c, values);
          if (!in)
            continue;
          INFO(row.name << ", " << case_name(c) << ", " << dtype_name(dtype)
                        << (fill == Fill::Special ? ", special values" : ""));
          check_forward(row, *in);
        }
}

TEST_CASE("op sweep: float64 gradcheck of every differentiable op on every shape",
          "[ops][sweep][gradcheck]") {
  FreshTape fresh;
  std::uint64_t seed = 1000;
  for (const OpInfo& row : ops()) {
    if (!row.differentiable)
      continue;
    for (Case c : kCases) {
      if (c == Case::Wide) // the SIMD bodies: covered by the forward sweep and the kernel tests
        continue;
      Values values(Fill::Regular, kFloat64, seed++);
      const std::optional<Inputs> in = row.inputs(c, values);
      if (!in)
        continue;
      INFO(row.name << ", " << case_name(c));
      check_gradient(row, *in);
    }
  }
}

TEST_CASE("op sweep: the table has a row for every public op", "[ops][sweep]") {
  std::vector<std::string> names;
  for (const OpInfo& row : ops())
    names.push_back(row.name);
  for (const char* op : {"neg",
                         "exp",
                         "log",
                         "log1p",
                         "sqrt",
                         "square",
                         "abs",
                         "tanh",
                         "sigmoid",
                         "relu",
                         "silu",
                         "softplus",
                         "pow",
                         "clamp",
                         "elu",
                         "add",
                         "sub",
                         "mul",
                         "div",
                         "minimum",
                         "maximum",
                         "where",
                         "sum",
                         "mean",
                         "amax",
                         "amin",
                         "max(axis).values",
                         "min(axis).values",
                         "argmax",
                         "argmin",
                         "logsumexp",
                         "log_softmax",
                         "softmax",
                         "sum()",
                         "mean()",
                         "max()",
                         "min()",
                         "matmul",
                         "linear",
                         "solve_triangular",
                         "transpose",
                         "t",
                         "mT",
                         "tril",
                         "triu",
                         "diagonal",
                         "diag_embed",
                         "diag",
                         "reshape",
                         "unsqueeze",
                         "squeeze",
                         "slice",
                         "cat",
                         "index_select",
                         "gather",
                         "clone",
                         "to"})
    CHECK(std::find(names.begin(), names.end(), op) != names.end());
}
