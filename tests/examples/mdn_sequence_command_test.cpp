// `mdn fit --sequence`, `mdn eval` and `mdn sample --steps` on a generated CSV file of interleaved
// sequences, as a user runs them; the same seed writes the same model and samples.
#include "tests/examples/run_binary.hpp"

#include <autograd/generator.hpp>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cmath>

using namespace tapegrad;
using test::run_binary;

namespace {

// 30 sequences of a noisy sine, ids 10, 11, ..., their rows interleaved two by two.
void write_sequences(const std::filesystem::path& path) {
  Generator gen(1);
  std::string out = "id,y,z\n";
  for (int pair = 0; pair < 15; ++pair)
    for (int t = 0; t < 12; ++t)
      for (int k = 0; k < 2; ++k) {
        const int id = 10 + 2 * pair + k;
        const double y = std::sin(0.6 * t + id) + 0.1 * gen.normal();
        out += fmt::format("{},{:.6f},{:.6f}\n", id, y, 2 * y + 0.1 * gen.normal());
      }
  std::ofstream(path) << out;
}

} // namespace

TEST_CASE("mdn fit --sequence, eval and sample --steps work on sequences of a CSV file",
          "[examples][mdn_command][sequence]") {
  const auto dir = test::scratch("sequence");
  write_sequences(dir / "seq.csv");
  const std::string fit_args = "fit --data seq.csv --sequence id --y y,z --rnn lstm --hidden 8 "
                               "--components 2 --epochs 5 --batch 8 --bptt 5 --quiet --out ";
  const test::Run fit = run_binary("mdn", fit_args + "a.tgm", dir);
  INFO(fit.err);
  REQUIRE(fit.status == 0);
  CHECK(fit.out.find("with a lstm of 8 (1 layer(s)) and 2 components") != std::string::npos);
  CHECK(fit.out.find("on 30 sequences of 360 rows") != std::string::npos);
  REQUIRE(run_binary("mdn", fit_args + "b.tgm", dir).status == 0);
  CHECK(test::read_bytes(dir / "a.tgm") == test::read_bytes(dir / "b.tgm"));

  const test::Run eval = run_binary("mdn", "eval --model a.tgm --data seq.csv --json", dir);
  INFO(eval.err);
  REQUIRE(eval.status == 0);
  CHECK(eval.out.rfind(R"({"sequences": 30, "steps": 360, "nll": )", 0) == 0);

  const std::string sample_args = "sample --model a.tgm --data seq.csv --steps 4 --n 2 --out ";
  const test::Run sample = run_binary("mdn", sample_args + "s1.csv", dir);
  INFO(sample.err);
  REQUIRE(sample.status == 0);
  const std::string samples = test::read_text(dir / "s1.csv");
  CHECK(samples.rfind("id,sample,step,y,z\n10,0,12,", 0) == 0); // after each sequence's 12 steps
  CHECK(std::count(samples.begin(), samples.end(), '\n') == 1 + 30 * 2 * 4);
  REQUIRE(run_binary("mdn", sample_args + "s2.csv", dir).status == 0);
  CHECK(samples == test::read_text(dir / "s2.csv"));
}

TEST_CASE("the sequence flags say what they need", "[examples][mdn_command][sequence]") {
  const auto dir = test::scratch("sequence_errors");
  write_sequences(dir / "seq.csv");
  const test::Run rnn = run_binary("mdn", "fit --data seq.csv --rnn gru --out m.tgm", dir);
  CHECK(rnn.status == 2);
  CHECK(rnn.err == "error: mdn fit: --rnn needs --sequence COLUMN (a recurrent model of "
                   "sequences); expected --sequence, or no --rnn\n");
  const test::Run both =
      run_binary("mdn", "fit --data seq.csv --sequence id --y id,y --out m.tgm", dir);
  CHECK(both.status == 2);
  CHECK(both.err.find("column 'id' is named in both --sequence and --y") != std::string::npos);
  REQUIRE(run_binary("mdn",
                     "fit --data seq.csv --sequence id --hidden 4 --epochs 1 --quiet --out m.tgm",
                     dir)
              .status == 0);
  const test::Run no_steps = run_binary("mdn", "sample --model m.tgm --data seq.csv --out -", dir);
  CHECK(no_steps.status == 2);
  CHECK(no_steps.err.find("m.tgm is a sequence model; expected --steps N") != std::string::npos);
  std::ofstream(dir / "other.csv") << "id,q\n1,2\n1,3\n";
  const test::Run missing = run_binary("mdn", "eval --model m.tgm --data other.csv", dir);
  CHECK(missing.status == 2);
  CHECK(missing.err.find("other.csv:1: no column 'y'; the sequence model m.tgm was trained on "
                         "columns y,z grouped by 'id'") != std::string::npos);
}
