// Ops that move elements without arithmetic: reshape (which shares storage), slice, cat,
// index_select and gather. Their backward puts each gradient element back where its value came
// from.
#include "autograd/kernels/indexing.hpp"
#include "autograd/ops.hpp"

#include <algorithm>

namespace tapegrad {

namespace {

Tensor share_storage(const Tensor& x, const Shape& shape) {
  auto impl = make_tensor_impl();
  impl->shape = shape;
  impl->dtype = x.dtype();
  impl->storage = x.impl()->storage;
  return Tensor(std::move(impl));
}

kernels::AxisView axis_view(const Shape& s, int axis) {
  return {s.outer(axis), s[axis], s.inner(axis)};
}

void check_index(const Tensor& index, std::int64_t bound, const char* op) {
  if (index.dtype() != kInt64)
    fail("{}: expected an int64 index tensor, got {}", op, index.dtype());
  const std::int64_t* data = index.data_ptr<std::int64_t>();
  for (std::int64_t i = 0; i < index.numel(); ++i)
    if (data[i] < 0 || data[i] >= bound)
      fail("{}: index {} at position {} is out of range (expected 0 to {})", op, data[i], i,
           bound - 1);
}

} // namespace

// y = x viewed with another shape (same storage);  dL/dx = dL/dy viewed with x's shape
Tensor reshape(const Tensor& x, const std::vector<std::int64_t>& shape) {
  Shape out;
  int inferred = -1;
  std::int64_t known = 1;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1 && inferred < 0) {
      inferred = static_cast<int>(i);
      out.push_back(0);
      continue;
    }
    if (shape[i] < 0)
      fail("reshape: invalid size {} in the requested shape (only one -1 is allowed)", shape[i]);
    out.push_back(shape[i]);
    known *= shape[i];
  }
  if (inferred >= 0) {
    if (known == 0 || x.numel() % known != 0)
      fail("reshape: cannot infer the -1 in a reshape of {} ({} elements)", x.shape(), x.numel());
    out[inferred] = x.numel() / known;
  }
  if (out.numel() != x.numel())
    fail("reshape: cannot view shape {} ({} elements) as {} ({} elements)", x.shape(), x.numel(),
         out, out.numel());
  Tensor y = share_storage(x, out);
  return record("reshape", y, {x},
                [x](const Tensor& gy) { accumulate_grad(x, reshape(gy, x.shape().vec())); });
}

Tensor unsqueeze(const Tensor& x, std::int64_t axis) {
  const int a = normalize_axis(axis, x.dim() + 1, "unsqueeze");
  std::vector<std::int64_t> shape = x.shape().vec();
  shape.insert(shape.begin() + a, 1);
  return reshape(x, shape);
}

Tensor squeeze(const Tensor& x, std::int64_t axis) {
  const int a = normalize_axis(axis, x.dim(), "squeeze");
  if (x.shape()[a] != 1)
    fail("squeeze: axis {} of shape {} has size {}, expected 1", axis, x.shape(), x.shape()[a]);
  std::vector<std::int64_t> shape = x.shape().vec();
  shape.erase(shape.begin() + a);
  return reshape(x, shape);
}

// y = x[..., start:end:step, ...];  dL/dx is dL/dy at the sliced positions and 0 elsewhere
Tensor slice(const Tensor& x, std::int64_t axis, std::int64_t start, std::int64_t end,
             std::int64_t step) {
  const int a = normalize_axis(axis, x.dim(), "slice");
  if (step <= 0)
    fail("slice: expected a positive step, got {}", step);
  const std::int64_t n = x.shape()[a];
  const auto bound = [n](std::int64_t i) {
    return std::clamp(i < 0 ? i + n : i, std::int64_t{0}, n);
  };
  start = bound(start);
  end = std::max(start, bound(end));
  const std::int64_t count = (end - start + step - 1) / step;
  Shape out = x.shape();
  out[a] = count;
  const kernels::AxisView view = axis_view(x.shape(), a);
  Tensor y = empty(out, x.dtype());
  dispatch_all(x.dtype(), [&]<class T>() {
    kernels::slice_forward(x.data_ptr<T>(), y.data_ptr<T>(), view, start, step, count);
  });
  return record("slice", y, {x}, [x, view, start, step, count](const Tensor& gy) {
    Tensor gx = zeros_like(x);
    dispatch_floating(x.dtype(), "slice", [&]<class T>() {
      kernels::slice_backward(gy.data_ptr<T>(), gx.data_ptr<T>(), view, start, step, count);
    });
    accumulate_grad(x, std::move(gx));
  });
}

// y = [x_0, x_1, ...] joined along axis;  dL/dx_t is the slice of dL/dy where x_t went
Tensor cat(const std::vector<Tensor>& tensors, std::int64_t axis) {
  if (tensors.empty())
    fail("cat: expected at least one tensor");
  const Tensor& first = tensors.front();
  const int a = normalize_axis(axis, first.dim(), "cat");
  Shape out = first.shape();
  out[a] = 0;
  for (std::size_t t = 0; t < tensors.size(); ++t) {
    const Tensor& x = tensors[t];
    bool compatible = x.dim() == first.dim() && x.dtype() == first.dtype();
    for (int i = 0; compatible && i < x.dim(); ++i)
      compatible = i == a || x.shape()[i] == first.shape()[i];
    if (!compatible)
      fail("cat: tensor {} has shape {} ({}), expected {} with the same sizes as {} except along "
           "axis {}",
           t, x.shape(), x.dtype(), first.dtype(), first.shape(), a);
    out[a] += x.shape()[a];
  }
  Tensor y = empty(out, first.dtype());
  const std::int64_t outer = out.outer(a), inner = out.inner(a), y_row = out[a] * inner;
  dispatch_all(first.dtype(), [&]<class T>() {
    T* dst = y.data_ptr<T>();
    std::int64_t offset = 0; // where this input's block starts within a row of y
    for (const Tensor& x : tensors) {
      const std::int64_t x_row = x.shape()[a] * inner;
      for (std::int64_t o = 0; o < outer; ++o)
        std::copy_n(x.data_ptr<T>() + o * x_row, x_row, dst + o * y_row + offset);
      offset += x_row;
    }
  });
  return record("cat", y, std::span<const Tensor>(tensors), [tensors, a](const Tensor& gy) {
    std::int64_t start = 0;
    for (const Tensor& x : tensors) {
      const std::int64_t n = x.shape()[a];
      if (x.requires_grad())
        accumulate_grad(x, slice(gy, a, start, start + n));
      start += n;
    }
  });
}

// y[..., j, ...] = x[..., index[j], ...];  dL/dx[..., index[j], ...] += dL/dy[..., j, ...]
Tensor index_select(const Tensor& x, std::int64_t axis, const Tensor& index) {
  const int a = normalize_axis(axis, x.dim(), "index_select");
  if (index.dim() != 1)
    fail("index_select: expected a 1-D index, got shape {}", index.shape());
  check_index(index, x.shape()[a], "index_select");
  Shape out = x.shape();
  out[a] = index.numel();
  const kernels::AxisView view = axis_view(x.shape(), a);
  Tensor y = empty(out, x.dtype());
  dispatch_all(x.dtype(), [&]<class T>() {
    kernels::index_select_forward(x.data_ptr<T>(), index.data_ptr<std::int64_t>(), index.numel(),
                                  y.data_ptr<T>(), view);
  });
  return record("index_select", y, {x}, [x, index, view](const Tensor& gy) {
    Tensor gx = zeros_like(x);
    dispatch_floating(x.dtype(), "index_select", [&]<class T>() {
      kernels::index_select_backward(gy.data_ptr<T>(), index.data_ptr<std::int64_t>(),
                                     index.numel(), gx.data_ptr<T>(), view);
    });
    accumulate_grad(x, std::move(gx));
  });
}

// y[i][j][k] = x[i][index[i][j][k]][k] (axis 1);  dL/dx at each gathered position += dL/dy
Tensor gather(const Tensor& x, std::int64_t axis, const Tensor& index) {
  const int a = normalize_axis(axis, x.dim(), "gather");
  if (index.dim() != x.dim())
    fail("gather: index has shape {}, expected the rank of the input {}", index.shape(), x.shape());
  for (int i = 0; i < x.dim(); ++i)
    if (i != a && index.shape()[i] > x.shape()[i])
      fail("gather: index shape {} exceeds input shape {} along axis {} (expected at most {})",
           index.shape(), x.shape(), i, x.shape()[i]);
  check_index(index, x.shape()[a], "gather");
  kernels::BroadcastPlan plan; // walks index's shape with x's strides
  plan.rank = x.dim();
  plan.numel = index.numel();
  std::int64_t stride = 1, axis_stride = 1;
  for (int i = x.dim() - 1; i >= 0; --i) {
    const auto k = static_cast<std::size_t>(i);
    plan.size[k] = index.shape()[i];
    plan.stride_a[k] = i == a ? 0 : stride;
    if (i == a)
      axis_stride = stride;
    stride *= x.shape()[i];
  }
  Tensor y = empty(index.shape(), x.dtype());
  dispatch_all(x.dtype(), [&]<class T>() {
    kernels::gather_forward(x.data_ptr<T>(), index.data_ptr<std::int64_t>(), y.data_ptr<T>(), plan,
                            axis_stride);
  });
  return record("gather", y, {x}, [x, index, plan, axis_stride](const Tensor& gy) {
    Tensor gx = zeros_like(x);
    dispatch_floating(x.dtype(), "gather", [&]<class T>() {
      kernels::gather_backward(gy.data_ptr<T>(), index.data_ptr<std::int64_t>(), gx.data_ptr<T>(),
                               plan, axis_stride);
    });
    accumulate_grad(x, std::move(gx));
  });
}

} // namespace tapegrad
