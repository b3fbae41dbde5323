// Inputs that fuzz/model_fuzz found to break the model-file loader, fed to the `mdn` command as a
// user would: each must be answered with exit status 2 and one `error:` line, promptly.
#include "fuzz/state_repair.hpp"
#include "tests/examples/run_binary.hpp"

#include <nn/serialize.hpp>

#include <catch2/catch.hpp>

#include <limits>

using namespace tapegrad;
using test::run_binary;

namespace {

// The model file at `from` with entry `name` replaced by `value`, written to `to`.
void replace_entry(const std::filesystem::path& from, const std::filesystem::path& to,
                   const std::string& name, const Tensor& value) {
  nn::StateDict changed;
  for (const auto& [entry, tensor] : nn::load_state(from))
    changed.insert(entry, entry == name ? value : tensor);
  nn::save_state(changed, to);
}

Tensor integers(const std::vector<std::int64_t>& values) {
  return from_vector(values, {static_cast<std::int64_t>(values.size())}, kInt64);
}

} // namespace

TEST_CASE("a model file whose sizes ask for more parameters than it holds is rejected before "
          "anything is allocated",
          "[examples][fuzz_regression]") {
  const auto dir = test::scratch("fuzz_regression");
  std::string data = "x,y\n";
  for (int i = 0; i < 20; ++i)
    data += std::to_string(i * 0.05) + "," + std::to_string(1 - i * 0.05) + "\n";
  std::ofstream(dir / "data.csv") << data;
  REQUIRE(
      run_binary(
          "mdn",
          "fit --data data.csv --hidden 2,2 --components 1 --epochs 1 --val 0 --batch 8 --quiet "
          "--out good.tgm",
          dir)
          .status == 0);

  const auto check_rejected = [&](const std::string& name, const Tensor& value) {
    INFO(name << " = " << value.to_vector<std::int64_t>().back());
    replace_entry(dir / "good.tgm", dir / "bad.tgm", name, value);
    const test::Run run =
        run_binary("mdn", "predict --model bad.tgm --data data.csv --out pred.csv", dir);
    INFO(run.err);
    CHECK(run.status == 2);
    CHECK(run.err.rfind("error: ", 0) == 0);
    CHECK(run.err.find("bad.tgm: corrupt model file: its options") != std::string::npos);
    CHECK(run.err.find("call for more parameters than the") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir / "pred.csv"));
  };
  // What the fuzzer found: a hidden width of 654311426 (a 5 GB weight matrix) in a 1 KB file.
  check_rejected("config.hidden", integers({2, 654311426}));
  // The same through the other sizes, up to values whose products overflow int64.
  check_rejected("config.hidden", integers({std::numeric_limits<std::int64_t>::max(), 2}));
  check_rejected("config.components", integers({1LL << 40}));
  check_rejected("config.components", integers({std::numeric_limits<std::int64_t>::max()}));
}

TEST_CASE("a model file whose standardisation holds a zero, negative or non-finite scale is "
          "rejected rather than predicting NaN",
          "[examples][fuzz_regression]") {
  const auto dir = test::scratch("bad_scale");
  std::string data = "x,y\n";
  for (int i = 0; i < 20; ++i)
    data += std::to_string(i * 0.05) + "," + std::to_string(1 - i * 0.05) + "\n";
  std::ofstream(dir / "data.csv") << data;
  REQUIRE(run_binary("mdn",
                     "fit --data data.csv --hidden 2 --components 1 --epochs 1 --val 0 --quiet "
                     "--batch 8 --out good.tgm",
                     dir)
              .status == 0);
  const struct {
    const char* entry;
    double value;
    const char* expected;
  } cases[] = {
      {"config.x_std", 0.0, "expected a positive scale"},
      {"config.y_std", -1.0, "expected a positive scale"},
      {"config.y_std", std::numeric_limits<double>::quiet_NaN(), "expected finite numbers"},
      {"config.x_mean", std::numeric_limits<double>::infinity(), "expected finite numbers"},
  };
  for (const auto& c : cases) {
    INFO(c.entry << " = " << c.value);
    replace_entry(dir / "good.tgm", dir / "bad.tgm", c.entry,
                  from_vector(std::vector<double>{c.value}, {1}, kFloat64));
    const test::Run run =
        run_binary("mdn", "predict --model bad.tgm --data data.csv --out pred.csv", dir);
    INFO(run.err);
    CHECK(run.status == 2);
    CHECK(run.err.rfind("error: ", 0) == 0);
    CHECK(run.err.find(std::string("bad.tgm: entry '") + c.entry) != std::string::npos);
    CHECK(run.err.find(c.expected) != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir / "pred.csv"));
  }
}

TEST_CASE("the model file fuzz/model_fuzz found to overflow a size product (b532ca67ad87ba91) gets "
          "one error line and exit status 2",
          "[examples][fuzz_regression]") {
  const auto dir = test::scratch("fuzz_b532");
  std::ofstream(dir / "data.csv") << "a,b,u,v\n0.1,0.2,0.3,0.4\n";
  // The file as the fuzzer fed it to the loader: with its sizes and checksums repaired.
  std::vector<std::uint8_t> bytes =
      test::read_bytes(TAPEGRAD_TEST_FIXTURES_DIR "/fuzz/model_b532ca67ad87ba91.tgm");
  fuzz::repair_state_checksums(bytes);
  std::ofstream(dir / "crafted.tgm", std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
  for (const char* command : {"eval --model crafted.tgm --data data.csv",
                              "predict --model crafted.tgm --data data.csv --out pred.csv"}) {
    const test::Run run = run_binary("mdn", command, dir);
    INFO(command << "\n" << run.err);
    CHECK(run.status == 2);
    CHECK(run.err.rfind("error: crafted.tgm: ", 0) == 0);
    CHECK(std::count(run.err.begin(), run.err.end(), '\n') == 1);
    CHECK_FALSE(std::filesystem::exists(dir / "pred.csv"));
  }
}
