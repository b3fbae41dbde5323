#include "common/fitting.hpp"

#include "common/progress.hpp"

#include <nn/data.hpp>
#include <nn/optim.hpp>

#include <cmath>

namespace tapegrad::examples {

mdn::FittedModel fit_mdn(const Tensor& x, const Tensor& y, const Tensor& x_val, const Tensor& y_val,
                         const FitSettings& settings) {
  // The examples reproduce the seeds' single networks: no ensemble, no noise regularisation.
  mdn::FitOptions options{.model = settings.model,
                          .train = settings.train,
                          .seed = settings.seed,
                          .ensemble = 1,
                          .noise = 0.0};
  Progress progress({.label = settings.label,
                     .epochs = settings.train.epochs,
                     .patience = settings.train.patience,
                     .rows = x.size(0),
                     .val_rows = x_val.defined() ? x_val.size(0) : 0,
                     .y_name = settings.y_name,
                     .patience_flag = "patience",
                     .quiet = settings.quiet});
  options.train.on_epoch = [&](const mdn::EpochReport& r) { progress.update(r); };
  mdn::FittedModel fitted = mdn::fit(x, y, x_val, y_val, options);
  progress.finish(&fitted.result);
  return fitted;
}

Tensor FittedMSE::predict(const Tensor& x) const {
  NoGradGuard no_grad;
  return y_scale.invert(net->forward(x_scale.apply(x)));
}

FittedMSE fit_mse(const Tensor& x, const Tensor& y, const Tensor& x_val, const Tensor& y_val,
                  const std::vector<std::int64_t>& hidden, nn::Activation activation,
                  const mdn::TrainOptions& train, std::uint64_t seed) {
  FittedMSE fitted;
  fitted.x_scale = mdn::Standardizer::fit(x);
  fitted.y_scale = mdn::Standardizer::fit(y);
  const Tensor xs = fitted.x_scale.apply(x), ys = fitted.y_scale.apply(y);
  Generator gen(seed);
  fitted.net = std::make_shared<nn::MLP>(x.size(1), hidden, y.size(1), activation, gen);
  nn::Adam adam(fitted.net->parameters(), {.lr = train.lr});
  nn::DataLoader loader({xs, ys}, {.batch_size = train.batch_size, .seed = train.seed});
  for (std::int64_t epoch = 0; epoch < train.epochs; ++epoch) {
    double total = 0;
    for (const nn::Batch& batch : loader) {
      adam.zero_grad();
      const Tensor loss = square(fitted.net->forward(batch[0]) - batch[1]).mean();
      loss.backward();
      adam.step();
      clear_tape();
      total += loss.item<double>() * static_cast<double>(batch[0].size(0));
    }
    fitted.train_loss.push_back(total / static_cast<double>(x.size(0)));
    if (x_val.defined()) {
      NoGradGuard no_grad;
      const Tensor pred = fitted.net->forward(fitted.x_scale.apply(x_val));
      fitted.val_loss.push_back(square(pred - fitted.y_scale.apply(y_val)).mean().item<double>());
    }
  }
  return fitted;
}

double rmse(const Tensor& a, const Tensor& b) {
  NoGradGuard no_grad;
  return std::sqrt(square(a.to(kFloat64) - b.to(kFloat64)).mean().item<double>());
}

double mae(const Tensor& a, const Tensor& b) {
  NoGradGuard no_grad;
  return abs(a.to(kFloat64) - b.to(kFloat64)).mean().item<double>();
}

} // namespace tapegrad::examples
