// Each example binary in --fast mode: it exits 0, writes its CSV files and pictures, and a second
// run with the same seed writes the same bytes.
#include "tests/examples/run_binary.hpp"

#include <catch2/catch.hpp>

#include <vector>

using namespace tapegrad;

namespace {

void check_example(const std::string& name, const std::vector<std::string>& files) {
  const auto dir = test::scratch(name);
  const test::Run first = test::run_binary(name, "--fast --out a", dir);
  INFO(first.err);
  REQUIRE(first.status == 0);
  REQUIRE(test::run_binary(name, "--fast --out b", dir).status == 0);
  for (const std::string& file : files) {
    INFO(name << "/" << file);
    const std::string a = test::read_text(dir / "a" / file);
    CHECK(!a.empty());
    CHECK(a == test::read_text(dir / "b" / file));
  }
  const test::Run bad = test::run_binary(name, "--epochs 3", dir);
  CHECK(bad.status == 2);
  CHECK(bad.err.rfind("error: ", 0) == 0);
}

const std::vector<std::string> kOutputs1D{"data.csv",    "predictions.csv", "samples.csv",
                                          "density.svg", "samples.svg",     "loss.svg"};

} // namespace

TEST_CASE("bishop_inverse --fast writes its outputs deterministically", "[examples][fast]") {
  check_example("bishop_inverse", kOutputs1D);
}

TEST_CASE("sine_inverted --fast writes its outputs deterministically", "[examples][fast]") {
  std::vector<std::string> files = kOutputs1D;
  files.push_back("forward.svg");
  check_example("sine_inverted", files);
}

TEST_CASE("spiral --fast writes its outputs deterministically", "[examples][fast]") {
  check_example("spiral", kOutputs1D);
}

TEST_CASE("robot_arm --fast writes its outputs deterministically", "[examples][fast]") {
  check_example("robot_arm", {"data.csv", "predictions.csv", "samples.csv", "workspace.svg",
                              "angles.svg", "loss.svg"});
}

TEST_CASE("temperature --fast writes its outputs deterministically", "[examples][fast]") {
  check_example("temperature",
                {"data.csv", "samples.csv", "slice.csv", "samples.svg", "slice.svg", "loss.svg"});
}

TEST_CASE("handwriting --fast writes its outputs deterministically", "[examples][fast]") {
  check_example("handwriting", {"data.csv", "samples.csv", "samples.svg", "training.svg"});
}

TEST_CASE("time_series --fast writes its outputs deterministically", "[examples][fast]") {
  check_example("time_series",
                {"data.csv", "nll.csv", "samples.csv", "density.svg", "samples.svg", "loss.svg"});
}
