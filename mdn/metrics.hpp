#pragma once
// How good a fitted mixture is on held-out targets.
#include "mdn/mixture.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace tapegrad::mdn {

struct Metrics {
  double nll = 0;  // mean negative log-likelihood, nats per point
  double rmse = 0; // of the mixture mean, over every coordinate
  double mae = 0;
  double rmse_mode = 0; // of the mixture mode
  double mae_mode = 0;
  std::optional<double> crps;       // mean CRPS, D = 1 only
  std::optional<double> coverage90; // share of targets inside the central 90% interval, D = 1 only
};

// y: [B, D]. Computed without recording on the tape.
Metrics evaluate(const Mixture& mixture, const Tensor& y);

// The share of targets y [B, 1] inside the central interval of probability `level`.
double interval_coverage(const Mixture& mixture, const Tensor& y, double level);

// The calibration of a one-dimensional model on targets y [B, 1]: the counts of the PIT values
// F(y) in `bins` equal bins of [0, 1] (flat when calibrated, a U when the model is too sure, a
// hump when it is too unsure), and the range [lo, hi] a calibrated model's count of one bin falls
// in 95% of the time: binomial with p = 1 / bins, expected +- 1.96 standard deviations.
struct PitHistogram {
  std::vector<std::int64_t> counts;
  double expected = 0, lo = 0, hi = 0;
};
PitHistogram pit_histogram(const Mixture& mixture, const Tensor& y, std::int64_t bins = 10);

} // namespace tapegrad::mdn
