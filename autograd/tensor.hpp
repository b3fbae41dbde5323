#pragma once
// Tensor: a handle to a shape, a dtype and shared row-major storage, plus the autograd state
// (requires_grad, the gradient slot, and which tape record produced it). Copying a Tensor copies
// the handle, not the data, as in LibTorch.
#include "autograd/dtype.hpp"
#include "autograd/generator.hpp"
#include "autograd/kernels/elementwise_ops.hpp"
#include "autograd/shape.hpp"
#include "autograd/storage.hpp"

#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

namespace tapegrad {

struct TensorImpl;
struct ValuesAndIndices;

class Tensor {
public:
  Tensor() = default; // undefined: defined() is false
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const;
  const Shape& sizes() const { return shape(); }
  int dim() const { return shape().rank(); }
  std::int64_t size(std::int64_t axis) const;
  std::int64_t numel() const { return shape().numel(); }
  DType dtype() const;

  // Raw element pointer; T must match the dtype.
  template <class T> T* data_ptr() const;
  template <class T> T item() const; // the single element of a one-element tensor, converted to T
  double at(std::initializer_list<std::int64_t> index) const; // one element, as double
  template <class T>
  std::vector<T> to_vector() const; // all elements in row-major order, converted to T

  // Autograd state.
  bool requires_grad() const;
  Tensor& requires_grad_(bool requires_grad = true); // only on leaves
  bool is_leaf() const;
  Tensor grad() const; // undefined until a backward pass reaches this tensor
  void zero_grad();    // fills an existing gradient with zeros, keeping its buffer
  // Walks the tape back from this tensor (see tape.hpp). retain_graph keeps the tape walkable, so
  // that backward() can run again over the same records, as PyTorch's.
  void backward(const Tensor& gradient = Tensor(), bool retain_graph = false) const;
  Tensor detach() const; // same storage, no history
  const std::string& name() const;
  Tensor& set_name(std::string name); // shown by to_dot and the tape trace

  Tensor to(DType dtype) const; // differentiable conversion
  Tensor clone() const;         // differentiable copy into new storage

  // Methods mirroring the free functions in ops.hpp.
#define TAPEGRAD_DECLARE_UNARY_METHOD_(NAME, VALUE, DERIVATIVE) Tensor NAME() const;
  TAPEGRAD_UNARY_OPS(TAPEGRAD_DECLARE_UNARY_METHOD_)
#undef TAPEGRAD_DECLARE_UNARY_METHOD_
  Tensor pow(double exponent) const;
  Tensor clamp(double min, double max) const;
  Tensor sum() const;
  Tensor sum(std::int64_t axis, bool keepdim = false) const;
  Tensor mean() const;
  Tensor mean(std::int64_t axis, bool keepdim = false) const;
  Tensor max() const;
  ValuesAndIndices max(std::int64_t axis, bool keepdim = false) const;
  Tensor min() const;
  ValuesAndIndices min(std::int64_t axis, bool keepdim = false) const;
  Tensor amax() const;
  Tensor amax(std::int64_t axis, bool keepdim = false) const;
  Tensor amin() const;
  Tensor amin(std::int64_t axis, bool keepdim = false) const;
  Tensor argmax() const;
  Tensor argmax(std::int64_t axis, bool keepdim = false) const;
  Tensor argmin() const;
  Tensor argmin(std::int64_t axis, bool keepdim = false) const;
  Tensor logsumexp(std::int64_t axis, bool keepdim = false) const;
  Tensor log_softmax(std::int64_t axis) const;
  Tensor softmax(std::int64_t axis) const;
  Tensor matmul(const Tensor& other) const;
  Tensor transpose(std::int64_t axis0, std::int64_t axis1) const;
  Tensor t() const;  // transpose of a 2-D tensor; a 0-D or 1-D tensor is returned as it is
  Tensor mT() const; // transpose of the last two axes
  Tensor tril(std::int64_t diagonal = 0) const;
  Tensor triu(std::int64_t diagonal = 0) const;
  Tensor diagonal(std::int64_t offset = 0, std::int64_t dim1 = 0, std::int64_t dim2 = 1) const;
  Tensor diag_embed(std::int64_t offset = 0, std::int64_t dim1 = -2, std::int64_t dim2 = -1) const;
  Tensor reshape(const Shape& shape) const; // one size may be -1: inferred
  Tensor reshape(std::initializer_list<std::int64_t> shape) const;
  Tensor unsqueeze(std::int64_t axis) const;
  Tensor squeeze(std::int64_t axis) const;
  Tensor slice(std::int64_t axis, std::int64_t start, std::int64_t end,
               std::int64_t step = 1) const;
  Tensor index_select(std::int64_t axis, const Tensor& index) const;
  Tensor gather(std::int64_t axis, const Tensor& index) const;

  std::string to_string() const;
  TensorImpl* impl() const {
    return impl_.get();
  }
  const std::shared_ptr<TensorImpl>& impl_ptr() const {
    return impl_;
  }

private:
  const TensorImpl& checked() const;
  std::shared_ptr<TensorImpl> impl_;
};

// What max(x, axis) and min(x, axis) return, as torch.max(x, dim) does: the values, and the
// position along the axis (int64) each was found at. auto [values, indices] = max(x, 1);
struct ValuesAndIndices {
  Tensor values;
  Tensor indices;
};

struct TensorImpl {
  // record: -1 for a leaf, this for a tensor whose history clear_tape() dropped (a constant now).
  static constexpr std::int64_t kCleared = -2;

  Shape shape;
  DType dtype = kFloat32;
  std::shared_ptr<Storage> storage;
  bool requires_grad = false;
  std::shared_ptr<TensorImpl> grad; // the gradient slot
  // The index of the tape record that produced this tensor, on the tape whose generation is
  // tape_generation (generations are unique across all threads' tapes and steps).
  std::int64_t record = -1;
  std::uint64_t tape_generation = 0;
  std::string name;

  void* data() const { return storage->data(); }
};

// A new, empty TensorImpl from the caching allocator.
inline std::shared_ptr<TensorImpl> make_tensor_impl() {
  return std::allocate_shared<TensorImpl>(CachedAllocator<TensorImpl>{});
}

std::ostream& operator<<(std::ostream& out, const Tensor& tensor);

// Factories. Shapes are {sizes...}; the dtype defaults to float32 as in LibTorch.
Tensor empty(const Shape& shape, DType dtype = kFloat32);
Tensor zeros(const Shape& shape, DType dtype = kFloat32);
Tensor ones(const Shape& shape, DType dtype = kFloat32);
Tensor full(const Shape& shape, double value, DType dtype = kFloat32);
Tensor empty_like(const Tensor& like);
Tensor zeros_like(const Tensor& like);
Tensor ones_like(const Tensor& like);
Tensor scalar_tensor(double value, DType dtype = kFloat32);
// The n x m identity matrix (ones on the diagonal), as torch.eye.
Tensor eye(std::int64_t n, DType dtype = kFloat32);
Tensor eye(std::int64_t n, std::int64_t m, DType dtype = kFloat32);
// A 1-D tensor of the given values: tensor({1, 2, 3}, kFloat64).
Tensor tensor(std::initializer_list<double> values, DType dtype = kFloat32);
// Values in row-major order; their count must equal the shape's.
template <class T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape, DType dtype = dtype_of<T>());
// start, start + step, ... up to but excluding end.
Tensor arange(double start, double end, double step = 1.0, DType dtype = kFloat32);
Tensor arange(double end, DType dtype = kFloat32);
// `steps` points from start to end inclusive.
Tensor linspace(double start, double end, std::int64_t steps, DType dtype = kFloat32);
Tensor rand(const Shape& shape, Generator& generator, DType dtype = kFloat32);  // U[0, 1)
Tensor randn(const Shape& shape, Generator& generator, DType dtype = kFloat32); // N(0, 1)

// ----- template definitions -----

template <class T> T* Tensor::data_ptr() const {
  const TensorImpl& self = checked();
  if (self.dtype != dtype_of<T>())
    throw DTypeMismatch(
        fmt::format("expected a {} tensor, got {} (the tensors given to one op must "
                    "share a dtype: convert with .to())",
                    dtype_of<T>(), self.dtype));
  return static_cast<T*>(self.data());
}

template <class T> std::vector<T> Tensor::to_vector() const {
  const TensorImpl& self = checked();
  std::vector<T> out(static_cast<std::size_t>(self.shape.numel()));
  dispatch_all(self.dtype, [&]<class S>() {
    const S* src = static_cast<const S*>(self.data());
    for (std::size_t i = 0; i < out.size(); ++i)
      out[i] = static_cast<T>(src[i]);
  });
  return out;
}

template <class T> T Tensor::item() const {
  if (numel() != 1)
    fail("item: expected a tensor with one element, got shape {}", shape());
  return to_vector<T>()[0];
}

} // namespace tapegrad

template <> struct fmt::formatter<tapegrad::Tensor> : fmt::formatter<std::string_view> {
  auto format(const tapegrad::Tensor& tensor, format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(tensor.to_string(), ctx);
  }
};
