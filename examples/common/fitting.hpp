#pragma once
// The two models every example puts side by side, each trained on standardised data:
// an MDN (fit_mdn: mdn::fit with a progress display) and a network of the same trunk trained on
// squared error (fit_mse), which can only learn the conditional average E[y | x].
#include <mdn/mdn.hpp>
#include <nn/sequential.hpp>

#include <memory>
#include <string>

namespace tapegrad::examples {

struct FitSettings {
  mdn::MDNOptions model;
  mdn::TrainOptions train;
  std::uint64_t seed = 1;    // the initial weights
  std::string label = "mdn"; // for the progress display
  std::string y_name = "y";  // whose units the progress display's NLL is in
  bool quiet = false;        // no progress display
};

// mdn::fit on (x, y) with (x_val, y_val) for validation and early stopping (both may be
// undefined: no validation), showing its progress on standard error.
mdn::FittedModel fit_mdn(const Tensor& x, const Tensor& y, const Tensor& x_val, const Tensor& y_val,
                         const FitSettings& settings);

struct FittedMSE {
  std::shared_ptr<nn::MLP> net;
  mdn::Standardizer x_scale, y_scale;
  std::vector<double> train_loss, val_loss; // mean squared error per epoch, standardised units
  Tensor predict(const Tensor& x) const;    // raw x -> y in its own units
};

FittedMSE fit_mse(const Tensor& x, const Tensor& y, const Tensor& x_val, const Tensor& y_val,
                  const std::vector<std::int64_t>& hidden, nn::Activation activation,
                  const mdn::TrainOptions& train, std::uint64_t seed);

// Root mean square and mean absolute difference of two tensors of the same shape.
double rmse(const Tensor& a, const Tensor& b);
double mae(const Tensor& a, const Tensor& b);

} // namespace tapegrad::examples
