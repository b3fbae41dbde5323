#include "mdn/head.hpp"

#include "autograd/ops.hpp"
#include "autograd/tape.hpp"
#include "mdn/head_nll.hpp"

#include <algorithm>
#include <cmath>

namespace tapegrad::mdn {

namespace {

// 0/1 matrices that scatter D diagonal values and D(D-1)/2 strictly-lower values into a flattened
// D x D matrix by a product, so that building L stays two matmuls on the tape.
Tensor placement(std::int64_t d, bool diagonal, DType dtype) {
  std::vector<double> p;
  for (std::int64_t i = 0; i < d; ++i)
    for (std::int64_t j = 0; j < (diagonal ? 1 : i); ++j) {
      std::vector<double> row(static_cast<std::size_t>(d * d), 0.0);
      row[diagonal ? i * d + i : i * d + j] = 1.0;
      p.insert(p.end(), row.begin(), row.end());
    }
  const auto rows = static_cast<std::int64_t>(p.size()) / (d * d);
  return from_vector(p, {rows, d * d}, dtype);
}

// Several linear layers of the same input as one: their weights stacked, one GEMM of K + 2KD
// columns instead of three narrow ones (each of which costs nearly as much as the wide one on a
// small head). Undefined when the layers cannot be stacked: one has no bias, or the batch is
// empty.
Tensor stacked_linear(const std::vector<nn::Linear*>& layers, const Tensor& features) {
  const bool stackable =
      features.size(0) > 0 && std::all_of(layers.begin(), layers.end(),
                                          [](const nn::Linear* l) { return l->bias.defined(); });
  if (!stackable)
    return Tensor();
  std::vector<Tensor> weights, biases;
  for (const nn::Linear* layer : layers) {
    weights.push_back(layer->weight);
    biases.push_back(layer->bias);
  }
  return linear(features, cat(weights, 0), cat(biases, 0));
}

// Each layer's output: its slice of the stacked columns, or the layer run alone.
std::vector<Tensor> linear_layers_as_one(const std::vector<nn::Linear*>& layers,
                                         const Tensor& features) {
  std::vector<Tensor> outputs;
  const Tensor stacked = stacked_linear(layers, features);
  std::int64_t column = 0;
  for (nn::Linear* layer : layers) {
    outputs.push_back(stacked.defined() ? stacked.slice(1, column, column + layer->out_features())
                                        : layer->forward(features));
    column += layer->out_features();
  }
  return outputs;
}

// softplus^-1(s) = log(e^s - 1)
double inverse_softplus(double s) {
  return s > 30 ? s : std::log(std::expm1(s));
}

} // namespace

MixtureDensityHead::MixtureDensityHead(const HeadOptions& options, Generator& gen, DType dtype)
    : Module("MixtureDensityHead"), options_(options) {
  const std::int64_t k = options.components, d = options.out_dim;
  if (options.in_features <= 0)
    fail("MixtureDensityHead: in_features must be positive, got {}", options.in_features);
  if (k <= 0)
    fail("MixtureDensityHead: the number of components must be positive, got {}", k);
  if (d <= 0)
    fail("MixtureDensityHead: the output dimension must be positive, got {}", d);
  if (!(options.min_scale >= 0) || !std::isfinite(options.min_scale))
    fail("MixtureDensityHead: min_scale must be a finite number >= 0, got {}", options.min_scale);
  if (options.noise == NoiseModel::Fixed &&
      !(options.fixed_scale > 0 && std::isfinite(options.fixed_scale)))
    fail("MixtureDensityHead: the fixed scale must be a finite positive number, got {}",
         options.fixed_scale);
  const std::int64_t in = options.in_features;
  pi_ = register_module("pi", std::make_shared<nn::Linear>(in, k, gen, dtype));
  mu_ = register_module("mu", std::make_shared<nn::Linear>(in, k * d, gen, dtype));
  switch (options.noise) {
  case NoiseModel::Diagonal:
    sigma_ = register_module("sigma", std::make_shared<nn::Linear>(in, k * d, gen, dtype));
    break;
  case NoiseModel::Isotropic:
    sigma_ = register_module("sigma", std::make_shared<nn::Linear>(in, k, gen, dtype));
    break;
  case NoiseModel::Full:
    sigma_ = register_module("sigma", std::make_shared<nn::Linear>(in, k * d, gen, dtype));
    if (d > 1)
      tril_ = register_module("tril",
                              std::make_shared<nn::Linear>(in, k * d * (d - 1) / 2, gen, dtype));
    diagonal_placement_ = placement(d, true, dtype);
    off_diagonal_placement_ = placement(d, false, dtype);
    break;
  case NoiseModel::Fixed:
    break;
  }
}

std::vector<nn::Linear*> MixtureDensityHead::output_layers() const {
  std::vector<nn::Linear*> layers{pi_.get(), mu_.get()};
  for (nn::Linear* layer : {sigma_.get(), tril_.get()})
    if (layer)
      layers.push_back(layer);
  return layers;
}

void MixtureDensityHead::check_features(const Tensor& features) const {
  if (features.dim() != 2 || features.size(1) != options_.in_features)
    fail("MixtureDensityHead: features have shape {}, expected [batch, {}]", features.shape(),
         options_.in_features);
}

Mixture MixtureDensityHead::mixture(const Tensor& features) const {
  check_features(features);
  const std::int64_t b = features.size(0), k = options_.components, d = options_.out_dim;
  const std::vector<Tensor> outputs = linear_layers_as_one(output_layers(), features);
  const Tensor log_pi = log_softmax(outputs[0], 1);
  const Tensor mean = outputs[1].reshape({b, k, d});
  Tensor scale;
  switch (options_.noise) {
  case NoiseModel::Diagonal:
    scale = (softplus(outputs[2]) + options_.min_scale).reshape({b, k, d});
    break;
  case NoiseModel::Isotropic:
    scale = (softplus(outputs[2]) + options_.min_scale).reshape({b, k, 1});
    break;
  case NoiseModel::Fixed:
    scale = full({b, k, 1}, options_.fixed_scale, features.dtype());
    break;
  case NoiseModel::Full: {
    const Tensor diagonal = (softplus(outputs[2]) + options_.min_scale).reshape({b, k, d});
    Tensor flat = diagonal.matmul(diagonal_placement_); // [B, K, D*D]
    if (tril_)
      flat = flat + outputs[3].reshape({b, k, d * (d - 1) / 2}).matmul(off_diagonal_placement_);
    scale = flat.reshape({b, k, d, d});
    break;
  }
  }
  return Mixture(options_.noise, log_pi, mean, scale);
}

Tensor MixtureDensityHead::nll(const Tensor& features, const Tensor& y) const {
  check_features(features);
  if (options_.noise == NoiseModel::Full)
    return mixture(features).nll(y);
  const std::int64_t b = features.size(0), d = options_.out_dim;
  if (!(y.shape() == Shape{b, d}))
    fail("Mixture: targets have shape {}, expected [{}, {}] (one row of dimension {} per mixture)",
         y.shape(), b, d, d);
  if (y.dtype() != features.dtype())
    fail("Mixture: targets are {}, the mixture is {}; convert with .to()", y.dtype(),
         features.dtype());
  const Tensor stacked = stacked_linear(output_layers(), features);
  if (!stacked.defined())
    return mixture(features).nll(y);
  return stacked_head_nll(stacked, y, options_.components, options_.noise, options_.min_scale,
                          options_.fixed_scale);
}

void MixtureDensityHead::init_from_targets(const Tensor& y) {
  const std::int64_t k = options_.components, d = options_.out_dim;
  if (y.dim() != 2 || y.size(1) != d || y.size(0) < 2)
    fail("MixtureDensityHead::init_from_targets: targets have shape {}, expected [N >= 2, {}]",
         y.shape(), d);
  NoGradGuard no_grad;
  const std::vector<double> values = y.to_vector<double>();
  const std::int64_t n = y.size(0);
  std::vector<double> mean_bias(static_cast<std::size_t>(k * d)),
      spread(static_cast<std::size_t>(d));
  for (std::int64_t j = 0; j < d; ++j) {
    std::vector<double> column(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i)
      column[i] = values[i * d + j];
    std::sort(column.begin(), column.end());
    double sum = 0, squares = 0;
    for (double v : column)
      sum += v;
    for (double v : column)
      squares += (v - sum / n) * (v - sum / n);
    spread[j] = std::sqrt(squares / (n - 1));
    for (std::int64_t c = 0; c < k; ++c)
      mean_bias[c * d + j] = column[std::min(n - 1, static_cast<std::int64_t>((c + 0.5) / k * n))];
  }
  const auto fill = [](Tensor& t, const std::vector<double>& v) {
    dispatch_floating(t.dtype(), "init_from_targets", [&]<class T>() {
      std::transform(v.begin(), v.end(), t.data_ptr<T>(),
                     [](double x) { return static_cast<T>(x); });
    });
  };
  const auto shrink = [&](Tensor& weight, double factor) {
    std::vector<double> w = weight.to_vector<double>();
    for (double& v : w)
      v *= factor;
    fill(weight, w);
  };
  fill(mu_->bias, mean_bias);
  shrink(mu_->weight, 0.1);
  fill(pi_->bias, std::vector<double>(static_cast<std::size_t>(k), 0.0));
  shrink(pi_->weight, 0.0);
  if (sigma_) {
    std::vector<double> scale_bias;
    const std::int64_t per_component = sigma_->out_features() / k;
    double mean_spread = 0;
    for (double s : spread)
      mean_spread += s / static_cast<double>(d);
    for (std::int64_t c = 0; c < k; ++c)
      for (std::int64_t j = 0; j < per_component; ++j) {
        const double target =
            (per_component == d ? spread[j] : mean_spread) / static_cast<double>(k);
        scale_bias.push_back(inverse_softplus(std::max(target - options_.min_scale, 1e-6)));
      }
    fill(sigma_->bias, scale_bias);
    shrink(sigma_->weight, 0.1);
  }
  if (tril_) {
    fill(tril_->bias, std::vector<double>(static_cast<std::size_t>(tril_->out_features()), 0.0));
    shrink(tril_->weight, 0.1);
  }
}

std::string MixtureDensityHead::extra_repr() const {
  std::string text = fmt::format("components={}, out_dim={}, noise={}", options_.components,
                                 options_.out_dim, noise_model_name(options_.noise));
  if (options_.noise == NoiseModel::Fixed)
    return text + fmt::format(", fixed_scale={}", options_.fixed_scale);
  return text + fmt::format(", min_scale={}", options_.min_scale);
}

} // namespace tapegrad::mdn
