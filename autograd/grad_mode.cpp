#include "autograd/grad_mode.hpp"

#include "autograd/tensor.hpp"

#include <atomic>
#include <cmath>

namespace tapegrad {

namespace {
// Grad mode is per thread, like the tape it guards; anomaly mode is global, like PyTorch's.
thread_local bool grad_enabled = true;
std::atomic<bool> anomaly_enabled{false};
} // namespace

bool GradMode::is_enabled() {
  return grad_enabled;
}
void GradMode::set_enabled(bool enabled) {
  grad_enabled = enabled;
}

void set_detect_anomaly(bool enabled) {
  anomaly_enabled = enabled;
}
bool is_anomaly_enabled() {
  return anomaly_enabled.load(std::memory_order_relaxed);
}

namespace detail {

namespace {
// The first element of a floating tensor that is NaN (or, with infinite_too, also +-Inf).
void check_values(const Tensor& tensor, const char* op, const char* what, bool infinite_too) {
  if (!is_floating(tensor.dtype()))
    return;
  dispatch_floating(tensor.dtype(), op, [&]<class T>() {
    const T* data = tensor.data_ptr<T>();
    for (std::int64_t i = 0; i < tensor.numel(); ++i)
      if (std::isnan(data[i]) || (infinite_too && std::isinf(data[i])))
        fail("anomaly: {} produced {} {} ({} at flat index {} of shape {})", op,
             infinite_too ? "a non-finite" : "a NaN in its", what, data[i], i, tensor.shape());
  });
}
} // namespace

void check_output(const Tensor& output, const char* op) {
  check_values(output, op, "output", false);
}
void check_gradient(const Tensor& gradient, const char* op) {
  check_values(gradient, op, "gradient", true);
}

} // namespace detail

} // namespace tapegrad
