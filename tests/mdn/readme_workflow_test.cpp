// Runs the workflow example of mdn/README.md word for word (on data of its own), so the README
// cannot drift from the library.
#include <mdn/mdn.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <unistd.h>

using namespace tapegrad;

TEST_CASE("mdn/README.md's workflow: fit, save, load, predict, sample, evaluate", "[mdn][readme]") {
  // Two branches y = +-x: a mixture of two is the right answer.
  Generator gen(21);
  std::vector<float> xs, ys;
  for (int i = 0; i < 400; ++i) {
    xs.push_back(static_cast<float>(gen.uniform() * 2 - 1));
    ys.push_back(static_cast<float>((i % 2 ? xs.back() : -xs.back()) + 0.05 * gen.normal()));
  }
  const Tensor x = from_vector(xs, {400, 1}), y = from_vector(ys, {400, 1});
  const Tensor x_new = linspace(-1, 1, 5).reshape({5, 1}), x_test = x, y_test = y;
  const auto file = std::filesystem::temp_directory_path() /
                    ("tapegrad_readme_" + std::to_string(::getpid()) + ".tgm");

  mdn::FitOptions options;           // the defaults are `mdn fit`'s
  options.components = {1, 2, 3, 4}; // several: each fitted, the best by validation NLL kept
  options.x_names = {"x"};           // saved with the model
  options.train.steps = 300;         // (not in the README: a short run for the test)
  mdn::FittedModel model = mdn::fit(x, y, options);
  model.save(file.string());                 // mdn::load("model.tgm") reads it back
  mdn::Predictions p = model.predict(x_new); // mean, stddev, mode, each component's pi, mu, sigma
  Tensor s = model.sample(x_new, 10, gen);   // [B, 10, D]
  mdn::Metrics m = model.evaluate(x_test, y_test);

  CHECK(model.candidates.size() == 4);
  CHECK(model.options().components >= 2); // one Gaussian cannot hold two branches
  CHECK(mdn::load(file).x_names == std::vector<std::string>{"x"});
  std::filesystem::remove(file);
  CHECK(p.mean.shape() == Shape{5, 1});
  // every component of every network of the ensemble
  CHECK(p.weight.shape() == Shape{5, model.ensemble_size() * model.options().components});
  CHECK(s.shape() == Shape{5, 10, 1});
  CHECK(m.nll < 0);
}

TEST_CASE("README.md's library example: Bishop's problem fitted as mdn fit --components 3 does",
          "[mdn][readme]") {
  Generator data(4), gen(5);
  std::vector<float> xs, ts;
  for (int i = 0; i < 600; ++i) {
    const double t = data.uniform();
    ts.push_back(static_cast<float>(t));
    xs.push_back(static_cast<float>(t + 0.3 * std::sin(2 * 3.14159265358979 * t) +
                                    (data.uniform() * 0.2 - 0.1)));
  }
  const Tensor x = from_vector(std::vector<float>(xs.begin(), xs.begin() + 400), {400, 1});
  const Tensor t = from_vector(std::vector<float>(ts.begin(), ts.begin() + 400), {400, 1});
  const Tensor x_test = from_vector(std::vector<float>(xs.begin() + 400, xs.end()), {200, 1});
  const Tensor t_test = from_vector(std::vector<float>(ts.begin() + 400, ts.end()), {200, 1});
  const auto file = std::filesystem::temp_directory_path() /
                    ("tapegrad_readme_top_" + std::to_string(::getpid()) + ".tgm");

  mdn::FitOptions options{.components = {3}, .model = {.hidden = {20, 20}}, .x_names = {"x"}};
  options.train.epochs = 30;                        // (not in the README: a short run for the test)
  mdn::FittedModel model = mdn::fit(x, t, options); // x [N, 1], t [N, 1]
  model.save(file.string());                        // mdn::load reads it back
  mdn::Metrics m = model.evaluate(x_test, t_test);  // in t's units
  Tensor s = model.sample(x_test, 10, gen);         // [N, 10, 1]

  std::filesystem::remove(file);
  CHECK(model.options().components == 3);
  CHECK(model.y_names == std::vector<std::string>{"y0"});
  CHECK(std::isfinite(m.nll));
  CHECK(s.shape() == Shape{200, 10, 1});
}
