// Must build and link against tapegrad::autograd alone (tests/layering/CMakeLists.txt).
#include "autograd/autograd.hpp"

int main() {
  tapegrad::Tensor x = tapegrad::scalar_tensor(3.0).requires_grad_();
  (x * x).backward();
  return x.grad().item<double>() == 6.0 ? 0 : 1;
}
