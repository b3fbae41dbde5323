#include "nn/data.hpp"

#include "nn/seed.hpp"

#include <autograd/ops.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace tapegrad::nn {

namespace {
std::int64_t common_rows(const std::vector<Tensor>& tensors, const char* op) {
  if (tensors.empty())
    fail("{}: expected at least one tensor", op);
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    if (!tensors[i].defined() || tensors[i].dim() < 1)
      fail("{}: tensor {} must be defined with at least one axis (rows are samples)", op, i);
    if (tensors[i].size(0) != tensors[0].size(0))
      fail("{}: tensor {} has {} rows (shape {}), but tensor 0 has {} (shape {})", op, i,
           tensors[i].size(0), tensors[i].shape(), tensors[0].size(0), tensors[0].shape());
  }
  if (tensors[0].size(0) == 0)
    fail("{}: the tensors have no rows", op);
  return tensors[0].size(0);
}

void shuffle(std::vector<std::int64_t>& values, Generator& gen) {
  for (std::size_t i = values.size(); i > 1; --i) // Fisher-Yates
    std::swap(values[i - 1], values[gen.below(i)]);
}

Batch rows(const std::vector<Tensor>& tensors, std::vector<std::int64_t> indices) {
  const auto count = static_cast<std::int64_t>(indices.size());
  const Tensor index = from_vector(indices, {count});
  Batch out;
  for (const Tensor& t : tensors)
    out.push_back(index_select(t, 0, index));
  return out;
}
} // namespace

DataLoader::DataLoader(std::vector<Tensor> tensors, DataLoaderOptions options)
    : tensors_(std::move(tensors)), options_(options) {
  num_samples_ = common_rows(tensors_, "DataLoader");
  if (options.batch_size <= 0)
    fail("DataLoader: expected a positive batch_size, got {}", options.batch_size);
  if (size() == 0)
    fail("DataLoader: drop_last with batch_size {} above the {} samples leaves no batch",
         options.batch_size, num_samples_);
}

std::int64_t DataLoader::size() const {
  return options_.drop_last ? num_samples_ / options_.batch_size
                            : (num_samples_ + options_.batch_size - 1) / options_.batch_size;
}

void DataLoader::set_epoch(std::int64_t epoch) {
  if (epoch < 0)
    fail("DataLoader: expected a non-negative epoch, got {}", epoch);
  epoch_ = epoch;
}

std::vector<std::int64_t> DataLoader::order(std::int64_t epoch) const {
  std::vector<std::int64_t> indices(static_cast<std::size_t>(num_samples_));
  std::iota(indices.begin(), indices.end(), 0);
  if (options_.shuffle) {
    Generator gen(derive_seed(options_.seed, static_cast<std::uint64_t>(epoch)));
    shuffle(indices, gen);
  }
  return indices;
}

DataLoader::Iterator DataLoader::begin() {
  auto epoch_order = std::make_shared<const std::vector<std::int64_t>>(order(epoch_++));
  return Iterator(this, std::move(epoch_order), 0);
}

Batch DataLoader::batch(const std::vector<std::int64_t>& order, std::int64_t index) const {
  if (index < 0 || index >= size())
    fail("DataLoader: batch {} is out of range for {} batches", index, size());
  const auto start = static_cast<std::size_t>(index * options_.batch_size);
  const std::size_t stop =
      std::min(order.size(), start + static_cast<std::size_t>(options_.batch_size));
  return rows(tensors_, {order.begin() + static_cast<std::ptrdiff_t>(start),
                         order.begin() + static_cast<std::ptrdiff_t>(stop)});
}

Batch DataLoader::Iterator::operator*() const {
  return loader_->batch(*order_, index_);
}

StateDict DataLoader::state_dict() const {
  StateDict state;
  state.insert("epoch", scalar_tensor(static_cast<double>(epoch_), kInt64));
  return state;
}

void DataLoader::load_state_dict(const StateDict& state, std::string_view source) {
  check_state(state_dict(), state, source, "the data loader");
  set_epoch(state.find("epoch").item<std::int64_t>());
}

std::int64_t validation_rows(std::int64_t n, double validation_fraction) {
  return static_cast<std::int64_t>(std::llround(validation_fraction * static_cast<double>(n)));
}

Split train_val_split(const std::vector<Tensor>& tensors, double validation_fraction,
                      std::uint64_t seed) {
  const std::int64_t n = common_rows(tensors, "train_val_split");
  if (!(validation_fraction > 0.0 && validation_fraction < 1.0))
    fail("train_val_split: expected a validation fraction in (0, 1), got {}", validation_fraction);
  const std::int64_t n_validation = validation_rows(n, validation_fraction);
  if (n_validation == 0 || n_validation == n)
    fail("train_val_split: a fraction of {} of {} rows leaves {} for validation and {} for "
         "training; both need at least one",
         validation_fraction, n, n_validation, n - n_validation);
  std::vector<std::int64_t> indices(static_cast<std::size_t>(n));
  std::iota(indices.begin(), indices.end(), 0);
  Generator gen(seed);
  shuffle(indices, gen);
  const auto cut = indices.begin() + static_cast<std::ptrdiff_t>(n_validation);
  std::vector<std::int64_t> validation(indices.begin(), cut), train(cut, indices.end());
  std::sort(validation.begin(), validation.end());
  std::sort(train.begin(), train.end());
  return {rows(tensors, std::move(train)), rows(tensors, std::move(validation))};
}

} // namespace tapegrad::nn
