#include "mdn/recipe.hpp"

#include <algorithm>
#include <cmath>

namespace tapegrad::mdn {

std::int64_t automatic_batch_size(std::int64_t training_rows) {
  return training_rows <= kFullBatchRows ? std::max<std::int64_t>(1, training_rows) : kBatch;
}

TrainOptions resolve_training(TrainOptions options, std::int64_t training_rows) {
  if (options.batch_size == 0)
    options.batch_size = automatic_batch_size(training_rows);
  const auto epochs = static_cast<double>(planned_epochs(options, training_rows));
  if (options.patience < 0)
    options.patience = std::max<std::int64_t>(1, std::llround(kPatienceShare * epochs));
  if (options.min_epochs < 0)
    options.min_epochs = std::llround(kMinEpochsShare * epochs);
  return options;
}

double noise_rule_of_thumb(std::int64_t rows, std::int64_t columns, double factor) {
  return factor * std::pow(static_cast<double>(rows), -1.0 / (4.0 + static_cast<double>(columns)));
}

} // namespace tapegrad::mdn
