// End-to-end tests of the `mdn` command on generated CSV files: each subcommand as a user runs
// it (bad input: mdn_bad_input_test.cpp).
#include "tests/examples/run_binary.hpp"

#include <autograd/generator.hpp>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cmath>
#include <numbers>

using namespace tapegrad;
using test::run_binary;

namespace {

// Bishop's inverse problem, drawn exactly as tests/mdn/bishop_test.cpp draws it, as CSV.
void write_bishop(const std::filesystem::path& path, std::int64_t n, std::uint64_t seed) {
  Generator gen(seed);
  std::string out = "noise,x,t\n";
  for (std::int64_t i = 0; i < n; ++i) {
    const auto t = static_cast<float>(gen.uniform());
    const auto x = static_cast<float>(t + 0.3 * std::sin(2 * std::numbers::pi * t) +
                                      (gen.uniform() * 0.2 - 0.1));
    out += fmt::format("{},{:.9g},{:.9g}\n", i % 7, x, t);
  }
  std::ofstream(path) << out;
}

std::size_t count_lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

} // namespace

TEST_CASE("mdn fit on Bishop's problem reaches the library example's held-out NLL, and eval, "
          "predict, sample and plot use the model",
          "[examples][mdn_command]") {
  const auto dir = test::scratch("fit");
  write_bishop(dir / "train.csv", 1000, 1);
  write_bishop(dir / "test.csv", 2000, 2);

  // The recipe of tests/mdn/bishop_test.cpp through the command's flags.
  const test::Run fit = run_binary(
      "mdn",
      "fit --data train.csv --x x --y t --components 3 --hidden 20,20 --epochs 1000 --batch 250 "
      "--lr 0.01 --val 0 --seed 3 --out model.tgm",
      dir);
  INFO(fit.err);
  REQUIRE(fit.status == 0);
  CHECK(std::filesystem::exists(dir / "model.tgm"));

  const test::Run eval = run_binary("mdn", "eval --model model.tgm --data test.csv --json", dir);
  INFO(eval.out << eval.err);
  REQUIRE(eval.status == 0);
  for (const char* key : {"\"nll\": ", "\"rmse\": ", "\"mae\": ", "\"crps\": ", "\"coverage90\": "})
    CHECK(eval.out.find(key) != std::string::npos);
  const auto at = eval.out.find("\"nll\": ") + 7;
  const double nll = std::stod(eval.out.substr(at));
  CHECK(nll < -1.0); // as the library's own Bishop test; the true density scores -1.29

  const test::Run predict =
      run_binary("mdn", "predict --model model.tgm --data test.csv --out pred.csv", dir);
  REQUIRE(predict.status == 0);
  const std::string pred = test::read_text(dir / "pred.csv");
  CHECK(pred.rfind("x,mean_t,std_t,mode_t,pi_0,mu_0_t,sigma_0_t,pi_1,", 0) == 0);
  CHECK(count_lines(pred) == 2001);

  const test::Run sample = run_binary(
      "mdn", "sample --model model.tgm --data test.csv --n 3 --temperature 0.5 --out - ", dir);
  REQUIRE(sample.status == 0);
  CHECK(sample.out.rfind("row,sample,x,t\n", 0) == 0);
  CHECK(count_lines(sample.out) == 6001);

  const test::Run plot =
      run_binary("mdn", "plot --model model.tgm --data train.csv --out density.svg", dir);
  REQUIRE(plot.status == 0);
  const std::string svg = test::read_text(dir / "density.svg");
  CHECK(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0) == 0);
  CHECK(svg.find("</svg>") != std::string::npos);

  // Standard input, and the help of every subcommand.
  const test::Run piped =
      run_binary("mdn", "eval --model model.tgm --data - --json < test.csv", dir);
  CHECK(piped.out == eval.out);
  for (const char* command : {"fit", "eval", "predict", "sample", "plot", "report", "demo"}) {
    const test::Run help = run_binary("mdn", std::string(command) + " --help", dir);
    CHECK(help.status == 0);
    CHECK(help.out.rfind(std::string("usage: mdn ") + command, 0) == 0);
  }
}

TEST_CASE("mdn fit with several --components fits each and prints the table",
          "[examples][mdn_command]") {
  const auto dir = test::scratch("order");
  write_bishop(dir / "train.csv", 600, 5);
  const test::Run fit = run_binary("mdn",
                                   "fit --data train.csv --x x --components 1,3 --hidden 16 "
                                   "--epochs 60 --batch 100 --lr 0.01 --quiet --out m.tgm",
                                   dir);
  INFO(fit.err);
  REQUIRE(fit.status == 0);
  CHECK(fit.out.find("components") != std::string::npos);
  CHECK(fit.out.find("<- kept") != std::string::npos);
  // A second run with the same seed writes the same model, byte for byte.
  REQUIRE(run_binary("mdn",
                     "fit --data train.csv --x x --components 1,3 --hidden 16 --epochs 60 "
                     "--batch 100 --lr 0.01 --quiet --out m2.tgm",
                     dir)
              .status == 0);
  CHECK(test::read_text(dir / "m.tgm") == test::read_text(dir / "m2.tgm"));
}

TEST_CASE("mdn demo --fast writes its files, the same bytes on every run",
          "[examples][mdn_command]") {
  const auto dir = test::scratch("demo");
  const test::Run first = run_binary("mdn", "demo --fast --out a", dir);
  INFO(first.err);
  REQUIRE(first.status == 0);
  REQUIRE(run_binary("mdn", "demo --fast --out b", dir).status == 0);
  for (const char* file : {"data.csv", "model.tgm", "density.svg", "loss.svg", "samples.svg",
                           "samples.csv", "report.html"}) {
    INFO(file);
    const std::string a = test::read_text(dir / "a" / file);
    CHECK(!a.empty());
    CHECK(a == test::read_text(dir / "b" / file));
  }
}
