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

void check_finite(const Tensor& tensor, const char* op, const char* what) {
  if (!is_floating(tensor.dtype()))
    return;
  dispatch_floating(tensor.dtype(), op, [&]<class T>() {
    const T* data = tensor.data_ptr<T>();
    const std::int64_t n = tensor.numel();
    for (std::int64_t i = 0; i < n; ++i)
      if (!std::isfinite(data[i]))
        fail("anomaly: {} produced a non-finite {} ({} at flat index {} of shape {})", op, what,
             data[i], i, tensor.shape());
  });
}

} // namespace detail

} // namespace tapegrad
