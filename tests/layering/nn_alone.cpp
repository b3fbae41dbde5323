// Must build and link against tapegrad::nn alone, which brings the engine with it
// (tests/layering/CMakeLists.txt).
#include "autograd/autograd.hpp"
#include "nn/nn.hpp"

int main() {
  using namespace tapegrad;
  Generator gen(1);
  nn::MLP net(1, {4}, 1, nn::Activation::Tanh, gen);
  nn::Adam adam(net.parameters(), {.lr = 0.1});
  net.forward(randn({8, 1}, gen)).square().mean().backward();
  adam.step();
  return 0;
}
