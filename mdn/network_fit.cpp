#include "mdn/network_fit.hpp"

#include "mdn/recipe.hpp"
#include "nn/data.hpp"
#include "nn/seed.hpp"

namespace tapegrad::mdn {

NetworkData split_for_network(const Tensor& x, const Tensor& y, double validation,
                              std::uint64_t seed) {
  if (validation <= 0)
    return {x, y, Tensor(), Tensor()};
  const nn::Split split = nn::train_val_split({x, y}, validation, seed);
  return {split.train[0], split.train[1], split.validation[0], split.validation[1]};
}

NetworkFit fit_network(const MDNOptions& model, TrainOptions train, const NetworkData& data,
                       std::uint64_t seed, DType dtype) {
  train = resolve_training(train, data.x.size(0));
  train.seed = seed;
  Generator gen(seed);
  NetworkFit out{std::make_shared<MDN>(model, gen, dtype), {}};
  out.model->head().init_from_targets(data.y);
  out.result = mdn::train(*out.model, data.x, data.y, data.x_val, data.y_val, train);
  return out;
}

std::uint64_t network_seed(std::uint64_t seed, std::int64_t m) {
  return m == 0 ? seed : nn::derive_seed(seed, static_cast<std::uint64_t>(m));
}

} // namespace tapegrad::mdn
