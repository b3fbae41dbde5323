// sine_fit: a one-hidden-layer network written directly on the engine fits a noisy sine.
//
//   y = sin(x) + 0.1 * noise,  x ~ U(-3, 3)
//   model: h = tanh(x W1 + b1), prediction = h W2 + b2, loss = mean squared error
//
// Every step is the whole autograd cycle: record the forward pass on the tape, walk it backward
// once, update the parameters with recording off, clear the tape.
#include <autograd/autograd.hpp>

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
  double momentum = 0.9;
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
                "Fits y = sin(x) + noise with a tanh network written directly on the engine,\n"
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

// Gradient descent with momentum: v = momentum * v + dL/dp, then p -= lr * v. It works on the raw
// buffers, outside the tape: an update is not part of the model's computation.
void sgd_momentum_step(const std::vector<Tensor>& parameters, std::vector<Tensor>& velocities,
                       const Options& options) {
  const auto lr = static_cast<float>(options.lr), momentum = static_cast<float>(options.momentum);
  for (std::size_t k = 0; k < parameters.size(); ++k) {
    float* value = parameters[k].data_ptr<float>();
    const float* grad = parameters[k].grad().data_ptr<float>();
    float* velocity = velocities[k].data_ptr<float>();
    for (std::int64_t i = 0; i < parameters[k].numel(); ++i) {
      velocity[i] = momentum * velocity[i] + grad[i];
      value[i] -= lr * velocity[i];
    }
  }
}

int run(const Options& options) {
  Generator gen(options.seed);
  const std::int64_t n = 256, h = options.hidden;
  const Tensor x = rand({n, 1}, gen) * 6.0 - 3.0;
  std::vector<float> clean_y;
  for (float xi : x.to_vector<float>())
    clean_y.push_back(std::sin(xi));
  const Tensor y = from_vector(clean_y, {n, 1}) + randn({n, 1}, gen) * 0.1;

  // W2 scaled by 1/sqrt(h) keeps the first predictions of order one.
  Tensor w1 = randn({1, h}, gen).requires_grad_().set_name("W1");
  Tensor b1 = zeros({h}).requires_grad_().set_name("b1");
  Tensor w2 =
      (randn({h, 1}, gen) / std::sqrt(static_cast<double>(h))).requires_grad_().set_name("W2");
  Tensor b2 = zeros({1}).requires_grad_().set_name("b2");
  const std::vector<Tensor> parameters{w1, b1, w2, b2};
  std::vector<Tensor> velocities;
  for (const Tensor& p : parameters)
    velocities.push_back(zeros_like(p));

  fmt::print("fitting y = sin(x) + 0.1 noise on {} points with a {}-unit tanh layer\n", n, h);
  for (std::int64_t step = 0; step <= options.steps; ++step) {
    const Tensor hidden = tanh(x.matmul(w1) + b1);     // [n, h]
    const Tensor prediction = hidden.matmul(w2) + b2;  // [n, 1]
    const Tensor loss = square(prediction - y).mean(); // []
    for (Tensor p : parameters)
      p.zero_grad();
    loss.backward();
    sgd_momentum_step(parameters, velocities, options);
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
