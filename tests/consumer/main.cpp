// Built against an installed tapegrad by the find_package_consumer test.
#include <autograd/autograd.hpp>

#include <cstdio>

int main() {
  auto x = tapegrad::full({}, 3.0, tapegrad::kFloat64).requires_grad_();
  auto y = x * x;
  y.backward();
  const double dydx = x.grad().item<double>();
  std::printf("consumer: dy/dx = %g\n", dydx);
  return dydx == 6.0 ? 0 : 1;
}
