// `mdn tune` end to end: one JSON line per trial in --log, the trials on standard output, the
// best model saved and usable by the other subcommands; the same seed gives the same search.
#include "tests/examples/run_binary.hpp"

#include <autograd/generator.hpp>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

using namespace tapegrad;
using test::run_binary;

namespace {

void write_branches(const std::filesystem::path& path, std::int64_t n, std::uint64_t seed) {
  Generator gen(seed);
  std::string out = "x,y\n";
  for (std::int64_t i = 0; i < n; ++i) {
    const double x = gen.uniform() * 2 - 1;
    out += fmt::format("{:.7g},{:.7g}\n", x, (gen.uniform() < 0.5 ? -x : x) + 0.05 * gen.normal());
  }
  std::ofstream(path) << out;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

// The value of a number field of a one-line JSON object.
double field(const std::string& json, const std::string& name) {
  const auto at = json.find("\"" + name + "\": ");
  REQUIRE(at != std::string::npos);
  return std::stod(json.substr(at + name.size() + 4));
}

} // namespace

TEST_CASE("mdn tune logs one JSON line per trial and saves the best model",
          "[examples][mdn_command][tune]") {
  const auto dir = test::scratch("tune");
  write_branches(dir / "train.csv", 200, 1);
  const std::string flags =
      "tune --data train.csv --trials 3 --folds 2 --steps 60 --ensemble 2 --seed 4";
  const test::Run run = run_binary("mdn", flags + " --log trials.jsonl --out best.tgm", dir);
  INFO(run.out << run.err);
  REQUIRE(run.status == 0);
  const std::vector<std::string> log = lines_of(test::read_text(dir / "trials.jsonl"));
  REQUIRE(log.size() == 3);
  double best = INFINITY;
  for (std::size_t i = 0; i < log.size(); ++i) {
    CHECK(log[i].rfind(fmt::format("{{\"trial\": {}, \"components\": ", i), 0) == 0);
    CHECK(log[i].back() == '}');
    best = std::min(best, field(log[i], "cv_nll"));
  }
  // The summary names the best trial's score, and the saved model is usable.
  CHECK(run.out.find(fmt::format("scored a cross-validated NLL of {:.4f}", best)) !=
        std::string::npos);
  const test::Run eval = run_binary("mdn", "eval --model best.tgm --data train.csv --json", dir);
  REQUIRE(eval.status == 0);
  CHECK(std::isfinite(field(eval.out, "nll")));
  // The same seed: the same trials and the same model, byte for byte.
  REQUIRE(run_binary("mdn", flags + " --log again.jsonl --quiet --out again.tgm", dir).status == 0);
  const std::vector<std::string> again = lines_of(test::read_text(dir / "again.jsonl"));
  REQUIRE(again.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) // all but the seconds
    CHECK(again[i].substr(0, again[i].find("\"seconds\"")) ==
          log[i].substr(0, log[i].find("\"seconds\"")));
  CHECK(test::read_text(dir / "again.tgm") == test::read_text(dir / "best.tgm"));

  const test::Run help = run_binary("mdn", "tune --help", dir);
  CHECK(help.status == 0);
  CHECK(help.out.rfind("usage: mdn tune", 0) == 0);
  const test::Run bad = run_binary("mdn", "tune --data train.csv --budget 5x --out b.tgm", dir);
  CHECK(bad.status == 2);
  CHECK(bad.err.find("'--budget 5x': expected a positive duration such as 60s, 5m or 1h") !=
        std::string::npos);
}
