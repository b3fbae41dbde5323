#include "autograd/tensor.hpp"

#include "autograd/ops.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ostream>
#include <type_traits>

namespace tapegrad {

// ----- handle and autograd state -----

const TensorImpl& Tensor::checked() const {
  if (!impl_)
    fail("tensor: use of an undefined tensor");
  return *impl_;
}

const Shape& Tensor::shape() const {
  return checked().shape;
}
DType Tensor::dtype() const {
  return checked().dtype;
}

std::int64_t Tensor::size(std::int64_t axis) const {
  return shape()[normalize_axis(axis, dim(), "size")];
}

double Tensor::at(std::initializer_list<std::int64_t> index) const {
  const Shape& s = shape();
  if (static_cast<int>(index.size()) != s.rank())
    fail("at: expected {} indices for shape {}, got {}", s.rank(), s, index.size());
  std::int64_t flat = 0;
  int axis = 0;
  for (std::int64_t i : index) {
    if (i < 0 || i >= s[axis])
      fail("at: index {} is out of range for axis {} of shape {}", i, axis, s);
    flat = flat * s[axis++] + i;
  }
  return dispatch_all(dtype(), [&]<class T>() { return static_cast<double>(data_ptr<T>()[flat]); });
}

bool Tensor::requires_grad() const {
  return checked().requires_grad;
}

bool Tensor::is_leaf() const {
  return checked().record < 0;
}

Tensor& Tensor::requires_grad_(bool requires_grad) {
  if (!is_leaf())
    fail(
        "requires_grad_: only leaf tensors can change requires_grad (use detach() to make a leaf)");
  if (requires_grad && !is_floating(dtype()))
    fail("requires_grad_: only floating tensors can require grad, got {}", dtype());
  impl_->requires_grad = requires_grad;
  impl_->record = -1; // a tensor whose history clear_tape() dropped becomes a plain leaf again
  return *this;
}

Tensor Tensor::grad() const {
  return Tensor(checked().grad);
}

void Tensor::zero_grad() {
  if (!checked().grad)
    return;
  const TensorImpl& g = *impl_->grad;
  std::fill_n(static_cast<char*>(g.data()),
              g.shape.numel() * static_cast<std::int64_t>(dtype_size(g.dtype)), 0);
}

void Tensor::backward(const Tensor& gradient, bool retain_graph) const {
  Tape::current().run_backward(*this, gradient, retain_graph);
}

Tensor Tensor::detach() const {
  const TensorImpl& self = checked();
  auto impl = make_tensor_impl();
  impl->shape = self.shape;
  impl->dtype = self.dtype;
  impl->storage = self.storage;
  return Tensor(std::move(impl));
}

const std::string& Tensor::name() const {
  return checked().name;
}

Tensor& Tensor::set_name(std::string name) {
  checked();
  impl_->name = std::move(name);
  return *this;
}

// ----- conversion and copy -----

namespace {
void convert(const Tensor& from, const Tensor& to) {
  dispatch_all(from.dtype(), [&]<class S>() {
    dispatch_all(to.dtype(), [&]<class D>() {
      const S* src = from.data_ptr<S>();
      D* dst = to.data_ptr<D>();
      const std::int64_t n = from.numel();
      for (std::int64_t i = 0; i < n; ++i) {
        // A float outside int64's range (NaN and Inf included) has no integer value: converting
        // it would be undefined behaviour.
        if constexpr (std::is_integral_v<D> && !std::is_integral_v<S>)
          if (!(src[i] >= S(-0x1p63) && src[i] < S(0x1p63)))
            fail("to: {} at flat index {} has no int64 value", src[i], i);
        dst[i] = static_cast<D>(src[i]);
      }
    });
  });
}
} // namespace

Tensor Tensor::to(DType dtype) const {
  Tensor x = *this;
  Tensor y = empty(shape(), dtype);
  convert(x, y);
  if (!is_floating(dtype))
    return y; // rounding to integers has no useful gradient: the result is a constant
  return record("to", y, {x}, [x](const Tensor& gy) { accumulate_grad(x, gy.to(x.dtype())); });
}

Tensor Tensor::clone() const {
  Tensor x = *this;
  Tensor y = empty_like(x);
  convert(x, y);
  return record("clone", y, {x}, [x](const Tensor& gy) { accumulate_grad(x, gy); });
}

// ----- factories -----

Tensor empty(const Shape& shape, DType dtype) {
  auto impl = make_tensor_impl();
  impl->shape = shape;
  impl->dtype = dtype;
  impl->storage = allocate_storage(static_cast<std::size_t>(shape.numel()) * dtype_size(dtype));
  return Tensor(std::move(impl));
}

Tensor full(const Shape& shape, double value, DType dtype) {
  Tensor t = empty(shape, dtype);
  dispatch_all(dtype,
               [&]<class T>() { std::fill_n(t.data_ptr<T>(), t.numel(), static_cast<T>(value)); });
  return t;
}

Tensor zeros(const Shape& shape, DType dtype) {
  return full(shape, 0.0, dtype);
}
Tensor ones(const Shape& shape, DType dtype) {
  return full(shape, 1.0, dtype);
}
Tensor empty_like(const Tensor& like) {
  return empty(like.shape(), like.dtype());
}
Tensor zeros_like(const Tensor& like) {
  return zeros(like.shape(), like.dtype());
}
Tensor ones_like(const Tensor& like) {
  return ones(like.shape(), like.dtype());
}
Tensor scalar_tensor(double value, DType dtype) {
  return full(Shape{}, value, dtype);
}

Tensor eye(std::int64_t n, DType dtype) {
  return eye(n, n, dtype);
}

Tensor eye(std::int64_t n, std::int64_t m, DType dtype) {
  if (n < 0 || m < 0)
    fail("eye: expected non-negative sizes, got {} and {}", n, m);
  Tensor t = zeros({n, m}, dtype);
  dispatch_all(dtype, [&]<class T>() {
    for (std::int64_t i = 0; i < std::min(n, m); ++i)
      t.data_ptr<T>()[i * m + i] = T(1);
  });
  return t;
}

Tensor tensor(std::initializer_list<double> values, DType dtype) {
  return from_vector(std::vector<double>(values), Shape{static_cast<std::int64_t>(values.size())},
                     dtype);
}

template <class T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape, DType dtype) {
  if (static_cast<std::int64_t>(values.size()) != shape.numel())
    fail("from_vector: {} values do not fill shape {} ({} elements)", values.size(), shape,
         shape.numel());
  Tensor t = empty(shape, dtype);
  dispatch_all(dtype, [&]<class D>() {
    std::transform(values.begin(), values.end(), t.data_ptr<D>(),
                   [](T v) { return static_cast<D>(v); });
  });
  return t;
}
template Tensor from_vector(const std::vector<float>&, const Shape&, DType);
template Tensor from_vector(const std::vector<double>&, const Shape&, DType);
template Tensor from_vector(const std::vector<std::int64_t>&, const Shape&, DType);

Tensor arange(double start, double end, double step, DType dtype) {
  if (step == 0 || !std::isfinite(step) || !std::isfinite(start) || !std::isfinite(end))
    fail("arange: expected finite start, end and a non-zero step, got {}, {}, {}", start, end,
         step);
  const auto count = static_cast<std::int64_t>(std::max(0.0, std::ceil((end - start) / step)));
  Tensor t = empty(Shape{count}, dtype);
  dispatch_all(dtype, [&]<class T>() {
    T* out = t.data_ptr<T>();
    for (std::int64_t i = 0; i < count; ++i)
      out[i] = static_cast<T>(start + static_cast<double>(i) * step);
  });
  return t;
}

Tensor arange(double end, DType dtype) {
  return arange(0.0, end, 1.0, dtype);
}

Tensor linspace(double start, double end, std::int64_t steps, DType dtype) {
  if (steps < 0)
    fail("linspace: expected a non-negative number of steps, got {}", steps);
  Tensor t = empty(Shape{steps}, dtype);
  const double delta = steps > 1 ? (end - start) / static_cast<double>(steps - 1) : 0.0;
  dispatch_all(dtype, [&]<class T>() {
    T* out = t.data_ptr<T>();
    // Fill from both ends, as PyTorch, so that the last point is `end` exactly; a single point
    // is `start`.
    for (std::int64_t i = 0; i < steps; ++i)
      out[i] = static_cast<T>(i < steps / 2 || steps == 1
                                  ? start + delta * static_cast<double>(i)
                                  : end - delta * static_cast<double>(steps - 1 - i));
  });
  return t;
}

Tensor rand(const Shape& shape, Generator& generator, DType dtype) {
  Tensor t = empty(shape, dtype);
  dispatch_floating(dtype, "rand", [&]<class T>() {
    T* out = t.data_ptr<T>();
    for (std::int64_t i = 0; i < t.numel(); ++i) {
      // Rounding a double in [0, 1) to float can give 1.0f; keep the half-open interval.
      const T u = static_cast<T>(generator.uniform());
      out[i] = u < T(1) ? u : std::nextafter(T(1), T(0));
    }
  });
  return t;
}

Tensor randn(const Shape& shape, Generator& generator, DType dtype) {
  Tensor t = empty(shape, dtype);
  dispatch_floating(dtype, "randn", [&]<class T>() {
    T* out = t.data_ptr<T>();
    for (std::int64_t i = 0; i < t.numel(); ++i)
      out[i] = static_cast<T>(generator.normal());
  });
  return t;
}

// ----- methods that forward to ops.hpp -----

#define TAPEGRAD_DEFINE_UNARY_METHOD_(NAME, VALUE, DERIVATIVE)                                     \
  Tensor Tensor::NAME() const {                                                                    \
    return tapegrad::NAME(*this);                                                                  \
  }
TAPEGRAD_UNARY_OPS(TAPEGRAD_DEFINE_UNARY_METHOD_)
#undef TAPEGRAD_DEFINE_UNARY_METHOD_

Tensor Tensor::pow(double exponent) const {
  return tapegrad::pow(*this, exponent);
}
Tensor Tensor::clamp(double min, double max) const {
  return tapegrad::clamp(*this, min, max);
}
Tensor Tensor::sum() const {
  return tapegrad::sum(*this);
}
Tensor Tensor::sum(std::int64_t axis, bool keepdim) const {
  return tapegrad::sum(*this, axis, keepdim);
}
Tensor Tensor::mean() const {
  return tapegrad::mean(*this);
}
Tensor Tensor::mean(std::int64_t axis, bool keepdim) const {
  return tapegrad::mean(*this, axis, keepdim);
}
Tensor Tensor::max() const {
  return tapegrad::max(*this);
}
ValuesAndIndices Tensor::max(std::int64_t axis, bool keepdim) const {
  return tapegrad::max(*this, axis, keepdim);
}
Tensor Tensor::min() const {
  return tapegrad::min(*this);
}
ValuesAndIndices Tensor::min(std::int64_t axis, bool keepdim) const {
  return tapegrad::min(*this, axis, keepdim);
}
Tensor Tensor::amax() const {
  return tapegrad::amax(*this);
}
Tensor Tensor::amax(std::int64_t axis, bool keepdim) const {
  return tapegrad::amax(*this, axis, keepdim);
}
Tensor Tensor::amin() const {
  return tapegrad::amin(*this);
}
Tensor Tensor::amin(std::int64_t axis, bool keepdim) const {
  return tapegrad::amin(*this, axis, keepdim);
}
Tensor Tensor::argmax() const {
  return tapegrad::argmax(*this);
}
Tensor Tensor::argmax(std::int64_t axis, bool keepdim) const {
  return tapegrad::argmax(*this, axis, keepdim);
}
Tensor Tensor::argmin() const {
  return tapegrad::argmin(*this);
}
Tensor Tensor::argmin(std::int64_t axis, bool keepdim) const {
  return tapegrad::argmin(*this, axis, keepdim);
}
Tensor Tensor::logsumexp(std::int64_t axis, bool keepdim) const {
  return tapegrad::logsumexp(*this, axis, keepdim);
}
Tensor Tensor::log_softmax(std::int64_t axis) const {
  return tapegrad::log_softmax(*this, axis);
}
Tensor Tensor::softmax(std::int64_t axis) const {
  return tapegrad::softmax(*this, axis);
}
Tensor Tensor::matmul(const Tensor& other) const {
  return tapegrad::matmul(*this, other);
}
Tensor Tensor::transpose(std::int64_t axis0, std::int64_t axis1) const {
  return tapegrad::transpose(*this, axis0, axis1);
}
Tensor Tensor::t() const {
  if (dim() > 2)
    fail("t: expected a tensor of at most 2 dimensions, got shape {} (mT() transposes the last "
         "two axes)",
         shape());
  return dim() == 2 ? tapegrad::transpose(*this, 0, 1) : *this; // as PyTorch: 0-D, 1-D unchanged
}
Tensor Tensor::mT() const {
  if (dim() < 2)
    fail("mT: expected at least 2 dimensions, got shape {}", shape());
  return tapegrad::transpose(*this, -2, -1);
}
Tensor Tensor::tril(std::int64_t diagonal) const {
  return tapegrad::tril(*this, diagonal);
}
Tensor Tensor::triu(std::int64_t diagonal) const {
  return tapegrad::triu(*this, diagonal);
}
Tensor Tensor::diagonal(std::int64_t offset, std::int64_t dim1, std::int64_t dim2) const {
  return tapegrad::diagonal(*this, offset, dim1, dim2);
}
Tensor Tensor::diag_embed(std::int64_t offset, std::int64_t dim1, std::int64_t dim2) const {
  return tapegrad::diag_embed(*this, offset, dim1, dim2);
}
Tensor Tensor::reshape(const Shape& shape) const {
  return tapegrad::reshape(*this, shape.vec());
}
Tensor Tensor::reshape(std::initializer_list<std::int64_t> shape) const {
  return tapegrad::reshape(*this, std::vector<std::int64_t>(shape));
}
Tensor Tensor::unsqueeze(std::int64_t axis) const {
  return tapegrad::unsqueeze(*this, axis);
}
Tensor Tensor::squeeze(std::int64_t axis) const {
  return tapegrad::squeeze(*this, axis);
}
Tensor Tensor::slice(std::int64_t axis, std::int64_t start, std::int64_t end,
                     std::int64_t step) const {
  return tapegrad::slice(*this, axis, start, end, step);
}
Tensor Tensor::index_select(std::int64_t axis, const Tensor& index) const {
  return tapegrad::index_select(*this, axis, index);
}
Tensor Tensor::gather(std::int64_t axis, const Tensor& index) const {
  return tapegrad::gather(*this, axis, index);
}

} // namespace tapegrad
