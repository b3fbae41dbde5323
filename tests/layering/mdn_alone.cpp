// Must build and link against tapegrad::mdn alone, which brings nn and the engine with it
// (tests/layering/CMakeLists.txt).
#include "autograd/autograd.hpp"
#include "mdn/mdn.hpp"
#include "nn/nn.hpp"

#include <cmath>

int main() {
  using namespace tapegrad;
  Generator gen(1);
  mdn::MDN model({.in_features = 1, .out_dim = 1, .components = 2, .hidden = {4}}, gen);
  return std::isfinite(model.nll(randn({8, 1}, gen), randn({8, 1}, gen)).item<double>()) ? 0 : 1;
}
