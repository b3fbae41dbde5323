#pragma once
// How good a fitted mixture is on held-out targets.
#include "mdn/mixture.hpp"

#include <optional>

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

} // namespace tapegrad::mdn
