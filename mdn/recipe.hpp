#pragma once
// How mdn::fit's automatic settings follow from the data: the batch size, early stopping's
// patience and its waiting period, and the noise of noise regularisation. The constants are the
// measured defaults (bench/QUALITY.md; README.md, "Defaults and how they were measured").
#include "mdn/train.hpp"

namespace tapegrad::mdn {

// Up to this many training rows the whole data set is one batch (with few rows a mini-batch's
// noise only costs); above it, batches of kBatch: as good a density at 1000 rows as the full
// batch, at a third of the time, so that a step costs the same whatever the rows.
inline constexpr std::int64_t kFullBatchRows = 512;
inline constexpr std::int64_t kBatch = 256;
// The early-stopping waiting period and patience as shares of the planned epochs.
inline constexpr double kMinEpochsShare = 0.4;
inline constexpr double kPatienceShare = 0.2;
// The factor of Rothfuss et al.'s rule of thumb for the noise (noise_rule_of_thumb).
inline constexpr double kNoiseFactor = 0.1;

std::int64_t automatic_batch_size(std::int64_t training_rows);

// `options` with its automatic values resolved for `training_rows` rows: batch_size 0, and
// patience and min_epochs below 0, become the figures above.
TrainOptions resolve_training(TrainOptions options, std::int64_t training_rows);

// Rothfuss et al. (2019)'s rule of thumb for the standard deviation of the noise of noise
// regularisation on standardised data: factor * n^(-1 / (4 + d)), n rows of d = dim x + dim y
// columns (Silverman's rate for a kernel density estimate of d dimensions).
double noise_rule_of_thumb(std::int64_t rows, std::int64_t columns, double factor);

} // namespace tapegrad::mdn
