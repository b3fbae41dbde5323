// A library user does what `mdn fit` does, through the public mdn/ headers alone: fit, save, load,
// predict, sample and evaluate; the model file is the command's, byte for byte, and the samples
// and scores are the command's too.
#include "tests/examples/run_binary.hpp"

#include <mdn/fit.hpp>
#include <mdn/model_file.hpp>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cmath>
#include <numbers>

using namespace tapegrad;

namespace {

// Bishop's inverse problem as float32 tensors, and the same numbers as CSV: {:.9g} prints a float
// so that reading it back gives the same float.
struct Data {
  Tensor x, t;
  std::string csv = "x,t\n";
};

Data bishop(std::int64_t n, std::uint64_t seed) {
  Generator gen(seed);
  std::vector<float> xs, ts;
  Data d;
  for (std::int64_t i = 0; i < n; ++i) {
    const auto t = static_cast<float>(gen.uniform());
    const auto x = static_cast<float>(t + 0.3 * std::sin(2 * std::numbers::pi * t) +
                                      (gen.uniform() * 0.2 - 0.1));
    xs.push_back(x);
    ts.push_back(t);
    d.csv += fmt::format("{:.9g},{:.9g}\n", x, t);
  }
  d.x = from_vector(xs, {n, 1}, kFloat32);
  d.t = from_vector(ts, {n, 1}, kFloat32);
  return d;
}

} // namespace

TEST_CASE("the library fits, saves, loads, predicts, samples and evaluates exactly as mdn does",
          "[examples][mdn_command][library]") {
  const auto dir = test::scratch("library");
  const Data train = bishop(600, 11), test = bishop(300, 12);
  std::ofstream(dir / "train.csv") << train.csv;
  std::ofstream(dir / "test.csv") << test.csv;

  mdn::FitOptions options;
  options.components = {3};
  options.model.hidden = {16, 16};
  options.train.epochs = 60;
  options.train.batch_size = 64;
  options.train.lr = 0.01;
  options.train.patience = 20;
  options.validation = 0.2;
  options.seed = 5;
  options.x_names = {"x"};
  options.y_names = {"t"};
  const mdn::FittedModel fitted = mdn::fit(train.x, train.t, options);
  fitted.save(dir / "library.tgm");

  const test::Run fit = test::run_binary(
      "mdn",
      "fit --data train.csv --components 3 --hidden 16,16 --epochs 60 --batch 64 --lr 0.01 "
      "--patience 20 --val 0.2 --seed 5 --quiet --out command.tgm",
      dir);
  INFO(fit.err);
  REQUIRE(fit.status == 0);
  CHECK(test::read_text(dir / "library.tgm") == test::read_text(dir / "command.tgm"));

  // Loaded, the model predicts what the fitted one does and what `mdn` computes from the file.
  const mdn::FittedModel loaded = mdn::load(dir / "library.tgm");
  CHECK(loaded.predict(test.x).mean.to_vector<double>() ==
        fitted.predict(test.x).mean.to_vector<double>());
  const mdn::Metrics m = loaded.evaluate(test.x, test.t);
  CHECK(m.nll < 0); // a fitted density of t beats a uniform one on [0, 1]
  const test::Run eval =
      test::run_binary("mdn", "eval --model command.tgm --data test.csv --json", dir);
  REQUIRE(eval.status == 0);
  const auto at = eval.out.find("\"nll\": ") + 7;
  CHECK(std::stod(eval.out.substr(at)) == Approx(m.nll).epsilon(1e-6));

  // Samples: the same seed draws the same numbers as `mdn sample --seed 9`.
  Generator gen(9);
  const std::vector<double> s = loaded.sample(test.x, 2, gen).to_vector<double>();
  REQUIRE(s.size() == 600);
  const test::Run sample = test::run_binary(
      "mdn", "sample --model command.tgm --data test.csv --n 2 --seed 9 --out -", dir);
  REQUIRE(sample.status == 0);
  std::istringstream lines(sample.out);
  std::string line;
  std::getline(lines, line); // row,sample,x,t
  for (std::size_t i = 0; std::getline(lines, line); ++i) {
    INFO(line);
    const double drawn = std::stod(line.substr(line.rfind(',') + 1));
    CHECK(drawn == Approx(s[i]).epsilon(1e-6)); // the CSV holds 7 significant digits
  }
}
