#include "nn/sharded_gradient.hpp"

#include <autograd/error.hpp>
#include <autograd/tape.hpp>

#include <algorithm>
#include <span>

namespace tapegrad::nn {

std::int64_t shard_count(std::int64_t rows) {
  if (rows < 1)
    fail("shard_count: a batch of {} rows; expected at least one", rows);
  return (rows + kShardRows - 1) / kShardRows;
}

RowRange shard_rows(std::int64_t rows, std::int64_t shard) {
  const std::int64_t shards = shard_count(rows);
  if (shard < 0 || shard >= shards)
    fail("shard_rows: shard {} of a batch of {} rows; expected 0 to {}", shard, rows, shards - 1);
  const std::int64_t base = rows / shards, extra = rows % shards;
  const std::int64_t begin = shard * base + std::min(shard, extra);
  return {begin, begin + base + (shard < extra ? 1 : 0)};
}

namespace {

template <class T>
double sharded_backward_as(const std::vector<Tensor>& parameters, std::int64_t rows,
                           Communicator& communicator,
                           const std::function<Tensor(RowRange)>& loss_of) {
  std::int64_t values = 1; // the loss, after the gradients
  for (const Tensor& p : parameters)
    values += p.numel();
  const std::size_t loss_at = static_cast<std::size_t>(values) - 1;
  const ShardRange mine =
      shards_of_rank(shard_count(rows), communicator.rank(), communicator.size());
  std::vector<std::vector<T>> shards;
  for (std::int64_t s = mine.begin; s < mine.end; ++s) {
    const RowRange range = shard_rows(rows, s);
    const T weight = static_cast<T>(range.rows()) / static_cast<T>(rows);
    std::vector<T>& flat = shards.emplace_back(static_cast<std::size_t>(values), T(0));
    for (Tensor p : parameters)
      p.zero_grad();
    const Tensor loss = loss_of(range);
    if (loss.numel() != 1 || loss.dtype() != parameters.front().dtype())
      fail("sharded_backward: a loss of shape {} ({}); expected a scalar of the parameters' {}",
           loss.shape(), loss.dtype(), parameters.front().dtype());
    flat[loss_at] = loss.item<T>() * weight;
    loss.backward(scalar_tensor(static_cast<double>(weight), loss.dtype()));
    clear_tape();
    std::size_t at = 0;
    for (const Tensor& p : parameters) {
      const Tensor g = p.grad();
      if (g.defined()) // a parameter the loss does not reach has a gradient of zeros
        std::copy_n(g.data_ptr<T>(), g.numel(), flat.begin() + static_cast<std::ptrdiff_t>(at));
      at += static_cast<std::size_t>(p.numel());
    }
  }
  std::vector<std::span<const T>> views(shards.begin(), shards.end());
  std::vector<T> total(static_cast<std::size_t>(values));
  communicator.ordered_sum(std::span<const std::span<const T>>(views), std::span<T>(total));
  std::size_t at = 0;
  for (const Tensor& p : parameters) {
    const auto first = total.begin() + static_cast<std::ptrdiff_t>(at);
    if (Tensor g = p.grad(); g.defined())
      std::copy_n(first, p.numel(), g.data_ptr<T>());
    else // this process computed no shard yet: the slot is created here
      accumulate_grad(p,
                      from_vector(std::vector<T>(first, first + p.numel()), p.shape(), p.dtype()));
    at += static_cast<std::size_t>(p.numel());
  }
  return static_cast<double>(total[loss_at]);
}

} // namespace

double sharded_backward(const std::vector<Tensor>& parameters, std::int64_t rows,
                        Communicator& communicator,
                        const std::function<Tensor(RowRange)>& loss_of) {
  if (parameters.empty())
    fail("sharded_backward: no parameters; expected the parameters the loss depends on");
  return dispatch_floating(parameters.front().dtype(), "sharded_backward", [&]<class T>() {
    return sharded_backward_as<T>(parameters, rows, communicator, loss_of);
  });
}

} // namespace tapegrad::nn
