// sine_fit: a one-hidden-layer network built from nn fits a noisy sine.
//
//   y = sin(x) + 0.1 * noise,  x ~ U(-3, 3)
//   model: nn::MLP(1, {hidden}, 1, Tanh): Linear, tanh, Linear;  loss = mean squared error
//
// Every step is the whole autograd cycle: zero the gradients, record the forward pass on the
// tape, walk it backward once, let the optimiser update the parameters (with recording off),
// clear the tape.
#include <autograd/autograd.hpp>
#include <nn/nn.hpp>

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <string_view>
#include <vector>

using namespace tapegrad;

namespace {

struct Options {
  std::int64_t steps = 2000;
  std::int64_t hidden = 32;
  std::uint64_t seed = 1;
  double lr = 0.01;
};

std::int64_t parse_count(std::string_view flag, std::string_view text) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value <= 0)
    fail("{}: expected a positive integer, got '{}'", flag, text);
  return value;
}

Options parse(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::puts("usage: sine_fit [--steps N] [--hidden N] [--seed N]\n"
                "Fits y = sin(x) + noise with a one-hidden-layer tanh network (nn::MLP, Adam),\n"
                "printing the training loss as it falls.");
      std::exit(0);
    }
    if (i + 1 == argc)
      fail("{}: expected a value after it (see --help)", flag);
    const std::string_view value = argv[++i];
    if (flag == "--steps")
      options.steps = parse_count(flag, value);
    else if (flag == "--hidden")
      options.hidden = parse_count(flag, value);
    else if (flag == "--seed")
      options.seed = static_cast<std::uint64_t>(parse_count(flag, value));
    else
      fail("unknown option '{}' (see --help)", flag);
  }
  return options;
}

int run(const Options& options) {
  Generator gen(options.seed);
  const std::int64_t n = 256, h = options.hidden;
  const Tensor x = rand({n, 1}, gen) * 6.0 - 3.0;
  std::vector<float> clean_y;
  for (float xi : x.to_vector<float>())
    clean_y.push_back(std::sin(xi));
  const Tensor y = from_vector(clean_y, {n, 1}) + randn({n, 1}, gen) * 0.1;

  nn::MLP model(1, {h}, 1, nn::Activation::Tanh, gen);
  nn::Adam optimizer(model.parameters(), {.lr = options.lr});

  fmt::print("fitting y = sin(x) + 0.1 noise on {} points with a {}-unit tanh layer:\n{}", n, h,
             model.to_string());
  for (std::int64_t step = 0; step <= options.steps; ++step) {
    optimizer.zero_grad();
    const Tensor loss = square(model(x) - y).mean(); // model(x) is [n, 1]; the loss []
    loss.backward();
    optimizer.step();
    clear_tape();
    if (step % (options.steps / 10 > 0 ? options.steps / 10 : 1) == 0)
      fmt::print("step {:>6}  loss {:.6f}\n", step, loss.item<double>());
  }
  fmt::print("the noise alone gives a loss of about 0.01\n");
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  try {
    return run(parse(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
}
