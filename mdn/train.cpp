#include "mdn/train.hpp"

#include "autograd/ops.hpp"
#include "nn/clip_grad.hpp"
#include "nn/data.hpp"
#include "nn/optim.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>

namespace tapegrad::mdn {

namespace {

bool all_finite(const std::vector<Tensor>& parameters) {
  for (const Tensor& p : parameters) {
    const Tensor g = p.grad();
    if (!g.defined())
      continue;
    const bool finite = dispatch_floating(g.dtype(), "train", [&]<class T>() {
      const T* data = g.data_ptr<T>();
      return std::all_of(data, data + g.numel(), [](T v) { return std::isfinite(v); });
    });
    if (!finite)
      return false;
  }
  return true;
}

// A copy of every parameter and buffer: the best model so far.
std::vector<Tensor> snapshot(const nn::Module& model) {
  std::vector<Tensor> copy;
  NoGradGuard no_grad;
  for (const auto& [name, tensor] : model.state_dict())
    copy.push_back(tensor.detach().clone());
  return copy;
}

void restore(nn::Module& model, const std::vector<Tensor>& copy) {
  nn::StateDict state;
  std::size_t i = 0;
  for (const auto& [name, tensor] : model.state_dict())
    state.insert(name, copy[i++]);
  model.load_state_dict(state, "the best epoch's snapshot");
}

} // namespace

double evaluate_nll(const MDN& model, const Tensor& x, const Tensor& y, std::int64_t batch_size) {
  NoGradGuard no_grad;
  const std::int64_t n = x.size(0);
  double total = 0;
  for (std::int64_t start = 0; start < n; start += batch_size) {
    const std::int64_t end = std::min(n, start + batch_size);
    total += -model.mixture(x.slice(0, start, end))
                  .log_prob(y.slice(0, start, end))
                  .sum()
                  .item<double>();
  }
  return total / static_cast<double>(n);
}

TrainResult train(MDN& model, const Tensor& x, const Tensor& y, const Tensor& x_val,
                  const Tensor& y_val, const TrainOptions& options) {
  if (options.epochs <= 0)
    fail("train: the number of epochs must be positive, got {}", options.epochs);
  if (options.batch_size <= 0)
    fail("train: the batch size must be positive, got {}", options.batch_size);
  if (!(options.lr > 0) || !std::isfinite(options.lr))
    fail("train: the learning rate must be a finite positive number, got {}", options.lr);
  if (x.size(0) != y.size(0))
    fail("train: {} input rows but {} target rows", x.size(0), y.size(0));
  const bool validate = x_val.defined();
  const std::vector<Tensor> parameters = model.parameters();
  std::unique_ptr<nn::Optimizer> optimizer;
  if (options.weight_decay > 0)
    optimizer = std::make_unique<nn::AdamW>(
        parameters, nn::AdamOptions{.lr = options.lr, .weight_decay = options.weight_decay});
  else
    optimizer = std::make_unique<nn::Adam>(parameters, nn::AdamOptions{.lr = options.lr});
  nn::DataLoader loader({x, y},
                        {.batch_size = options.batch_size, .shuffle = true, .seed = options.seed});

  TrainResult result;
  std::vector<Tensor> best;
  std::int64_t since_best = 0;
  model.train();
  for (std::int64_t epoch = 1; epoch <= options.epochs; ++epoch) {
    const auto start = std::chrono::steady_clock::now();
    double total = 0;
    std::int64_t batch_index = 0;
    for (const nn::Batch& batch : loader) {
      ++batch_index;
      optimizer->zero_grad();
      const Tensor loss = model.nll(batch[0], batch[1]);
      const double value = loss.item<double>();
      if (!std::isfinite(value))
        fail("train: the loss became {} at epoch {}, batch {}; try a smaller learning rate",
             std::isnan(value) ? "NaN" : "infinite", epoch, batch_index);
      loss.backward();
      if (!all_finite(parameters))
        fail("train: a gradient became non-finite at epoch {}, batch {}; try a smaller learning "
             "rate or clipping",
             epoch, batch_index);
      if (options.clip_norm > 0)
        nn::clip_grad_norm(parameters, options.clip_norm);
      optimizer->step();
      clear_tape();
      total += value * static_cast<double>(batch[0].size(0));
    }
    EpochReport report;
    report.epoch = epoch;
    report.train_nll = total / static_cast<double>(x.size(0));
    if (validate) {
      model.eval();
      report.val_nll = evaluate_nll(model, x_val, y_val);
      model.train();
      report.improved = std::isfinite(report.val_nll) &&
                        (std::isnan(result.best_val_nll) || report.val_nll < result.best_val_nll);
      if (report.improved) {
        result.best_val_nll = report.val_nll;
        result.best_epoch = epoch;
        best = snapshot(model);
        since_best = 0;
      } else {
        ++since_best;
      }
    } else {
      result.best_epoch = epoch;
    }
    report.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    result.history.push_back(report);
    if (options.on_epoch)
      options.on_epoch(report);
    if (validate && options.patience > 0 && since_best >= options.patience)
      break;
  }
  if (validate && !best.empty())
    restore(model, best);
  model.eval();
  return result;
}

} // namespace tapegrad::mdn
