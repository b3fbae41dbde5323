#include "mdn/sequence_train.hpp"

#include "autograd/ops.hpp"
#include "nn/clip_grad.hpp"
#include "nn/optim.hpp"
#include "nn/seed.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

namespace tapegrad::mdn {

namespace {

void check_data(const SequenceMDN& model, const SequenceData& data, const char* what) {
  const SequenceMDNOptions& o = model.options();
  if (!data.x.defined() || data.x.dim() != 3 || data.x.size(2) != o.in_features ||
      data.y.dim() != 3 || data.y.size(2) != o.out_dim)
    fail("train_sequences: the {} sequences have inputs {} and targets {}, expected "
         "[N, T, {}] and [N, T, {}]",
         what, data.x.defined() ? fmt::format("{}", data.x.shape()) : "none",
         data.y.defined() ? fmt::format("{}", data.y.shape()) : "none", o.in_features, o.out_dim);
  if (data.eos.defined() != o.end_of_stroke)
    fail("train_sequences: the {} sequences {} end-of-stroke bits but the model {}", what,
         data.eos.defined() ? "have" : "have no", o.end_of_stroke ? "predicts them" : "does not");
  if (data.x.dtype() != model.head().parameters().front().dtype())
    fail("train_sequences: the {} sequences are {} and the model {}; convert one with .to()", what,
         data.x.dtype(), model.head().parameters().front().dtype());
}

void check_options(const SequenceTrainOptions& options) {
  if (options.epochs <= 0 || options.batch_size <= 0 || options.bptt < 0)
    fail("train_sequences: expected positive epochs and batch_size and bptt >= 0, got {}, {} and "
         "{}",
         options.epochs, options.batch_size, options.bptt);
  if (!(options.lr > 0) || !std::isfinite(options.lr))
    fail("train_sequences: the learning rate must be a finite positive number, got {}", options.lr);
  if (!(options.clip_norm >= 0) || !std::isfinite(options.clip_norm))
    fail("train_sequences: clip_norm must be a finite number >= 0, got {}", options.clip_norm);
}

bool all_finite(const std::vector<Tensor>& parameters) {
  for (const Tensor& p : parameters) {
    const Tensor g = p.grad();
    if (g.defined() && !std::isfinite(g.to(kFloat64).sum().item<double>()))
      return false;
  }
  return true;
}

// The sequences' order in an epoch: a Fisher-Yates shuffle drawn from (seed, epoch) alone.
std::vector<std::int64_t> epoch_order(std::int64_t n, std::uint64_t seed, std::int64_t epoch) {
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  Generator gen(nn::derive_seed(seed, static_cast<std::uint64_t>(epoch)));
  for (std::size_t i = order.size(); i > 1; --i)
    std::swap(order[i - 1], order[gen.below(i)]);
  return order;
}

// One batch of sequences through its chunks; returns the summed NLL of its real steps.
double train_batch(SequenceMDN& model, nn::Optimizer& optimizer, const SequenceData& batch,
                   const std::vector<Tensor>& parameters, const SequenceTrainOptions& options,
                   std::int64_t epoch, std::int64_t batch_index) {
  const std::int64_t time = batch.time();
  const std::int64_t chunk = options.bptt > 0 ? options.bptt : time;
  nn::RecurrentState state;
  double total = 0;
  for (std::int64_t start = 0; start < time; start += chunk) {
    const SequenceData part = batch.steps_between(start, std::min(time, start + chunk));
    const std::int64_t steps = part.steps();
    if (steps == 0)
      break; // every sequence of the batch has ended
    optimizer.zero_grad();
    const SequenceOutput out = model.mixtures(part.x, state, part.mask);
    const Tensor loss = sequence_nll(out, part.y, part.eos, part.mask);
    const double value = loss.item<double>();
    if (!std::isfinite(value))
      fail("train_sequences: the loss became {} at epoch {}, batch {}, steps {} to {}; try a "
           "smaller learning rate",
           std::isnan(value) ? "NaN" : "infinite", epoch, batch_index, start, start + chunk);
    loss.backward();
    if (!all_finite(parameters))
      fail("train_sequences: a gradient became non-finite at epoch {}, batch {}, steps {} to {}; "
           "try a smaller learning rate or clip_norm",
           epoch, batch_index, start, start + chunk);
    if (options.clip_norm > 0)
      nn::clip_grad_norm(parameters, options.clip_norm);
    optimizer.step();
    state = out.state.detach(); // the next chunk starts here, without a path back into this one
    clear_tape();
    total += value * static_cast<double>(steps);
  }
  return total;
}

} // namespace

TrainResult train_sequences(SequenceMDN& model, const SequenceData& train,
                            const SequenceData& validation, const SequenceTrainOptions& options) {
  check_options(options);
  check_data(model, train, "training");
  const bool validate = validation.size() > 0;
  if (validate)
    check_data(model, validation, "validation");
  const std::vector<Tensor> parameters = model.parameters();
  nn::Adam adam(parameters, {.lr = options.lr});
  TrainResult result;
  nn::StateDict best; // a copy of the best epoch's parameters and buffers
  std::int64_t since_best = 0;
  clear_tape();
  model.train();
  for (std::int64_t epoch = 1; epoch <= options.epochs; ++epoch) {
    const auto start = std::chrono::steady_clock::now();
    const std::vector<std::int64_t> order = epoch_order(train.size(), options.seed, epoch);
    double total = 0;
    for (std::int64_t first = 0, index = 1; first < train.size();
         first += options.batch_size, ++index) {
      const std::vector<std::int64_t> members(
          order.begin() + first,
          order.begin() + std::min(train.size(), first + options.batch_size));
      total += train_batch(model, adam, train.select(members), parameters, options, epoch, index);
    }
    EpochReport report{.epoch = epoch, .train_nll = total / static_cast<double>(train.steps())};
    if (validate) {
      model.eval();
      report.val_nll = evaluate_sequence_nll(model, validation);
      model.train();
      report.improved = std::isfinite(report.val_nll) &&
                        (std::isnan(result.best_val_nll) || report.val_nll < result.best_val_nll);
      if (report.improved) {
        result.best_val_nll = report.val_nll;
        result.best_epoch = epoch;
        best = nn::clone_state(model.state_dict());
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
  if (!best.empty())
    model.load_state_dict(best, "the best epoch's snapshot");
  model.eval();
  return result;
}

Tensor sequence_log_prob(const SequenceMDN& model, const SequenceData& data,
                         std::int64_t batch_size) {
  if (batch_size <= 0)
    fail("sequence_log_prob: the batch size must be positive, got {}", batch_size);
  NoGradGuard no_grad;
  std::vector<double> values;
  for (std::int64_t first = 0; first < data.size(); first += batch_size) {
    std::vector<std::int64_t> members(
        static_cast<std::size_t>(std::min(data.size(), first + batch_size) - first));
    std::iota(members.begin(), members.end(), first);
    const SequenceData batch = data.select(members);
    const SequenceOutput out = model.mixtures(batch.x, {}, batch.mask);
    const std::vector<double> lp =
        (step_log_prob(out, batch.y, batch.eos) * batch.mask).to_vector<double>();
    // Padded to this batch's longest; the result is padded to the data's.
    for (std::size_t b = 0; b < members.size(); ++b) {
      values.insert(values.end(), lp.begin() + static_cast<std::ptrdiff_t>(b) * batch.time(),
                    lp.begin() + static_cast<std::ptrdiff_t>(b + 1) * batch.time());
      values.resize(values.size() + static_cast<std::size_t>(data.time() - batch.time()), 0.0);
    }
  }
  return from_vector(values, {data.size(), data.time()}, kFloat64);
}

double evaluate_sequence_nll(const SequenceMDN& model, const SequenceData& data,
                             std::int64_t batch_size) {
  const double steps = static_cast<double>(data.steps());
  if (!(steps > 0))
    fail("evaluate_sequence_nll: the data have no steps");
  return -sequence_log_prob(model, data, batch_size).sum().item<double>() / steps;
}

} // namespace tapegrad::mdn
