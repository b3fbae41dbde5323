#pragma once
// The gradient of a batch's mean loss, computed shard by shard so that it has the same bits on any
// number of processes (nn/distributed.hpp says why the order of the sum is what matters).
//
// A batch of B rows is always cut the same way, whatever the number of processes: into
// ceil(B / kShardRows) contiguous shards of as even a size as possible. Each shard's gradient is
// that of its own mean loss weighted by its share of the rows, n_s / B; the Communicator adds them
// as one left fold in shard order, which is the gradient of the batch's mean loss,
//
//   d/dw (1/B) sum_b loss_b = sum_s (n_s / B) d/dw ((1/n_s) sum_{b in s} loss_b),
//
// and the loss itself travels in the same fold (one more value after the gradients), so every
// process also reports the same training loss. One process computes every shard; N processes
// each compute their run of shards (nn::shards_of_rank). A batch of at most kShardRows rows is one
// shard of weight 1: its gradient is exactly the whole batch's, as before sharding existed.
//
//   const double loss = nn::sharded_backward(parameters, batch_rows, *communicator,
//       [&](nn::RowRange r) { return model.nll(x.slice(0, r.begin, r.end), y.slice(...)); });
//   optimizer.step(); // every process takes the same step
#include "nn/distributed.hpp"

#include <autograd/tensor.hpp>

#include <cstdint>
#include <functional>
#include <vector>

namespace tapegrad::nn {

// Rows per shard, at most. Measured on `mdn fit` of 1000 rows (docs/scaling.md): shards of 128
// rows cost a single process 18% more time than the unsharded batch (more passes over the tape,
// smaller GEMMs), shards of 256 rows 0-4%. At 256, mdn::fit's default batch (256 rows) is one
// shard, so a default fit has the bits and the speed it had before sharding; several processes
// share batches of 512 rows and more (--batch), which is what large data call for. Changing it
// changes the bits of every model trained with batches above it.
inline constexpr std::int64_t kShardRows = 256;

struct RowRange {
  std::int64_t begin = 0, end = 0;
  std::int64_t rows() const { return end - begin; }
};

// The shards of a batch of `rows` rows: ceil(rows / kShardRows) of them, the first ones one row
// longer when the rows do not divide evenly.
std::int64_t shard_count(std::int64_t rows);
RowRange shard_rows(std::int64_t rows, std::int64_t shard);

// `loss_of(r)` records on this thread's tape the mean loss of rows r of the batch, a scalar.
// Computes this process's shards' gradients (clearing the tape after each), folds every
// process's over `communicator`, and leaves the gradient of the batch's mean loss in the grad of
// every parameter, identical on every process. Returns the batch's mean loss. The parameters all
// have one floating dtype. Every process must call it with the same `rows`.
double sharded_backward(const std::vector<Tensor>& parameters, std::int64_t rows,
                        Communicator& communicator, const std::function<Tensor(RowRange)>& loss_of);

} // namespace tapegrad::nn
