#pragma once
// What every example binary shares: its three flags (--out DIR, --seed N, --fast), its main()
// that turns an Error into one `error:` line and exit status 2, and the standard outputs of a
// 1-D model (data, predictions, samples as CSV; density, samples and loss curves as SVG).
#include "common/datasets.hpp"
#include "common/fitting.hpp"

#include <filesystem>
#include <functional>
#include <string>

namespace tapegrad::examples {

struct ExampleRun {
  std::filesystem::path out; // created
  std::uint64_t seed = 1;
  bool fast = false; // a few epochs: for the tests, not for looking at
  std::int64_t epochs(std::int64_t full) const {
    return fast ? std::min<std::int64_t>(full, 30) : full;
  }
};

// Parses the flags (default --out out/<name>) and runs `body`; returns the exit status.
int example_main(int argc, char** argv, const std::string& name, const std::string& summary,
                 const std::function<void(const ExampleRun&)>& body);

struct Outputs1D {
  std::string title; // what the pictures are of
  std::string x_label = "x", y_label = "y";
  const FittedMSE* mse = nullptr; // drawn beside the MDN when given
  bool equal_aspect = false;      // x and y in the same units: a unit as long on both axes
};

// Writes data.csv, predictions.csv (on a grid of x: the MDN's mean and most probable mean, and
// the MSE net's prediction), samples.csv, density.svg, samples.svg and loss.svg into run.out,
// and returns the MDN's held-out metrics line.
void write_outputs_1d(const ExampleRun& run, const Dataset& train, const mdn::FittedModel& mdn,
                      const Outputs1D& what);

} // namespace tapegrad::examples
