#pragma once
// Mini-batches over tensors held in memory, as torch.utils.data.DataLoader over a TensorDataset.
// Row i of every tensor is sample i. Each epoch visits every sample once, in a seeded shuffled
// order or in order; a batch gathers only its own rows (index_select), so nothing copies the
// whole data set per epoch.
//
//   nn::DataLoader loader({x, y}, {.batch_size = 64, .shuffle = true, .seed = 7});
//   for (int epoch = 0; epoch < 10; ++epoch)
//     for (const nn::Batch& batch : loader) // each range-for starts the next epoch
//       train_step(batch[0], batch[1]);
//
// Epoch e's order is drawn from Generator(derive_seed(seed, e)), so the order depends only on the
// seed and the epoch number, and the loader's state is that number: saved with a checkpoint, it
// makes resumed training see the batches it would have seen.
#include "nn/state.hpp"

#include <autograd/tensor.hpp>

#include <memory>
#include <vector>

namespace tapegrad::nn {

using Batch = std::vector<Tensor>; // one tensor per data tensor, in the order given

struct DataLoaderOptions {
  std::int64_t batch_size = 32;
  bool shuffle = true;
  bool drop_last = false; // drop the last batch when it is smaller than batch_size
  std::uint64_t seed = 0;
};

class DataLoader : public Stateful {
public:
  DataLoader(std::vector<Tensor> tensors, DataLoaderOptions options = {});

  std::int64_t num_samples() const { return num_samples_; }
  std::int64_t size() const; // batches per epoch
  const DataLoaderOptions& options() const { return options_; }

  // Epochs started so far; the next begin() starts epoch number epoch().
  std::int64_t epoch() const { return epoch_; }
  void set_epoch(std::int64_t epoch);

  // The sample indices of `epoch`, in the order they are visited.
  std::vector<std::int64_t> order(std::int64_t epoch) const;

  class Iterator {
  public:
    using value_type = Batch;
    using difference_type = std::ptrdiff_t;
    Batch operator*() const;
    Iterator& operator++() {
      ++index_;
      return *this;
    }
    bool operator==(const Iterator& other) const { return index_ == other.index_; }

  private:
    friend class DataLoader;
    Iterator(const DataLoader* loader, std::shared_ptr<const std::vector<std::int64_t>> order,
             std::int64_t index)
        : loader_(loader), order_(std::move(order)), index_(index) {}
    const DataLoader* loader_;
    std::shared_ptr<const std::vector<std::int64_t>> order_;
    std::int64_t index_;
  };

  Iterator begin(); // starts the next epoch
  Iterator end() const { return Iterator(this, nullptr, size()); }

  // Batch `index` of an epoch whose order is `order`.
  Batch batch(const std::vector<std::int64_t>& order, std::int64_t index) const;

  StateDict state_dict() const override; // "epoch"
  void load_state_dict(const StateDict& state, std::string_view source = "state") override;

private:
  std::vector<Tensor> tensors_;
  DataLoaderOptions options_;
  std::int64_t num_samples_ = 0;
  std::int64_t epoch_ = 0;
};

// Splits the rows of every tensor into a training and a validation part, the same rows for each
// tensor: a seeded random choice of round(fraction * n) validation rows, each part keeping the
// original order. Copies the data once.
struct Split {
  std::vector<Tensor> train, validation;
};
Split train_val_split(const std::vector<Tensor>& tensors, double validation_fraction,
                      std::uint64_t seed);
// How many of n rows train_val_split holds out for validation: round(fraction * n).
std::int64_t validation_rows(std::int64_t n, double validation_fraction);

} // namespace tapegrad::nn
