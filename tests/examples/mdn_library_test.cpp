// A library user does what `mdn fit` does, through the public mdn/ headers alone: fit, save, load,
// predict, sample and evaluate; the model file is the command's, byte for byte, and the samples
// and scores are the command's too.
#include "tests/examples/run_binary.hpp"

#include <autograd/ops.hpp>
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

TEST_CASE("fit reports training in the data's units, and the model file keeps the curves",
          "[examples][mdn_library]") {
  const auto dir = test::scratch("library_history");
  const Data data = bishop(600, 4);
  // The same data in millimetres: every NLL moves by log(1000), as a density in mm is a thousandth
  // of one in m; the standardised training itself is the same.
  const Tensor t_mm = data.t * 1000.0;
  mdn::FitOptions options{.components = {2}, .model = {.hidden = {8}}, .x_names = {"x"}};
  options.train = {.epochs = 12, .batch_size = 100, .lr = 0.01};
  std::vector<mdn::EpochReport> seen;
  options.train.on_epoch = [&](const mdn::EpochReport& r) { seen.push_back(r); };
  const mdn::FittedModel metres = mdn::fit(data.x, data.t, options);
  const std::vector<mdn::EpochReport> seen_metres = seen;
  seen.clear();
  const mdn::FittedModel mm = mdn::fit(data.x, t_mm, options);
  REQUIRE(metres.result.history.size() == 12);
  REQUIRE(seen_metres.size() == 12);
  for (std::size_t e = 0; e < 12; ++e) {
    INFO("epoch " << e + 1);
    CHECK(seen[e].train_nll == Approx(seen_metres[e].train_nll + std::log(1000.0)).margin(1e-3));
    CHECK(seen[e].val_nll == Approx(seen_metres[e].val_nll + std::log(1000.0)).margin(1e-3));
    CHECK(mm.result.history[e].val_nll == seen[e].val_nll);
    CHECK(seen[e].step == static_cast<std::int64_t>(e + 1) * 6); // 540 rows in batches of 100
    CHECK(seen[e].lr == 0.01);
  }
  // The best validation NLL train() reached is the candidate's, both in the data's units.
  CHECK(mm.result.best_val_nll == Approx(mm.candidates[0].val_nll).margin(1e-3));

  // Saved and loaded: the curves and the best epoch come back, without the timings.
  mm.save(dir / "m.tgm");
  const mdn::FittedModel loaded = mdn::load(dir / "m.tgm");
  REQUIRE(loaded.result.history.size() == 12);
  CHECK(loaded.result.best_epoch == mm.result.best_epoch);
  CHECK(loaded.result.best_val_nll == mm.result.best_val_nll);
  for (std::size_t e = 0; e < 12; ++e) {
    CHECK(loaded.result.history[e].train_nll == mm.result.history[e].train_nll);
    CHECK(loaded.result.history[e].val_nll == mm.result.history[e].val_nll);
    CHECK(loaded.result.history[e].improved == mm.result.history[e].improved);
  }

  // A file of the first release has none, and loads with an empty history.
  const mdn::FittedModel v1 =
      mdn::load(std::filesystem::path(TAPEGRAD_TEST_FIXTURES_DIR) / "model_v1_diagonal.tgm");
  CHECK(v1.result.history.empty());

  // Damaged curves are refused, naming the entry.
  nn::StateDict state = mdn::model_state(mm);
  nn::StateDict shorter, no_best, late;
  for (const auto& [name, tensor] : state) {
    if (name == "config.history.val_nll")
      shorter.insert(name, tensor.slice(0, 0, 5));
    else
      shorter.insert(name, tensor);
    if (name != "config.history.best_epoch")
      no_best.insert(name, tensor);
    late.insert(name, name == "config.history.best_epoch"
                          ? from_vector(std::vector<std::int64_t>{13}, {1}, kInt64)
                          : tensor);
  }
  CHECK_THROWS_WITH(mdn::model_from_state(shorter, "s.tgm"),
                    Catch::Contains("s.tgm: entries 'config.history.train_nll' and "
                                    "'config.history.val_nll' hold 12 and 5 epochs"));
  CHECK_THROWS_WITH(mdn::model_from_state(no_best, "b.tgm"),
                    Catch::Contains("b.tgm: 2 of the 3 entries config.history.*"));
  CHECK_THROWS_WITH(mdn::model_from_state(late, "l.tgm"),
                    Catch::Contains("'config.history.best_epoch' holds 13; expected an epoch "
                                    "from 1 to 12"));
}
