// Built against an installed tapegrad by the find_package_consumer test: it links tapegrad::mdn
// alone (which brings nn and autograd), takes one gradient, then fits, saves and loads a model.
#include <autograd/autograd.hpp>
#include <mdn/fit.hpp>
#include <mdn/model_file.hpp>

#include <cstdio>
#include <filesystem>

int main(int argc, char** argv) {
  using namespace tapegrad;
  auto x = full({}, 3.0, kFloat64).requires_grad_();
  auto y = x * x;
  y.backward();
  const double dydx = x.grad().item<double>();
  std::printf("consumer: dy/dx = %g\n", dydx);
  clear_tape();

  Generator gen(1);
  const Tensor inputs = rand({200, 1}, gen), targets = inputs * 2.0 + randn({200, 1}, gen) * 0.1;
  mdn::FitOptions options{.components = {2}, .model = {.hidden = {8}}};
  options.train = {.epochs = 5, .batch_size = 50, .lr = 0.01};
  const mdn::FittedModel model = mdn::fit(inputs, targets, options);
  const std::filesystem::path file = argc > 1 ? argv[1] : "consumer_model.tgm";
  model.save(file);
  const mdn::FittedModel loaded = mdn::load(file);
  const bool same = loaded.nll(inputs, targets) == model.nll(inputs, targets);
  std::printf("consumer: fitted, saved and loaded a model of %lld components\n",
              static_cast<long long>(loaded.options().components));
  return dydx == 6.0 && same ? 0 : 1;
}
