#include "mdn/train.hpp"

#include "autograd/ops.hpp"
#include "nn/clip_grad.hpp"
#include "nn/data.hpp"
#include "nn/optim.hpp"
#include "nn/seed.hpp"
#include "nn/sharded_gradient.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <numbers>
#include <span>
#include <string_view>

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

// The entries of `state` under "prefix.", without the prefix.
nn::StateDict part(const nn::StateDict& state, std::string_view prefix) {
  nn::StateDict out;
  for (const auto& [name, tensor] : state)
    if (name.size() > prefix.size() && name.compare(0, prefix.size(), prefix) == 0 &&
        name[prefix.size()] == '.')
      out.insert(name.substr(prefix.size() + 1), tensor);
  return out;
}

Tensor column(const std::vector<double>& values) {
  return from_vector(values, {static_cast<std::int64_t>(values.size())}, kFloat64);
}

// Where training stands after an epoch: what on_checkpoint gets and `resume` takes back.
struct Progress {
  std::int64_t epochs_done = 0;
  std::int64_t since_best = 0;
  TrainResult result;
  nn::StateDict best; // a copy of the best epoch's parameters and buffers; empty before one
};

nn::StateDict training_state(const MDN& model, const nn::Optimizer& optimizer, const Progress& p) {
  nn::StateDict state;
  state.insert("epochs_done", scalar_tensor(static_cast<double>(p.epochs_done), kInt64));
  state.insert("since_best", scalar_tensor(static_cast<double>(p.since_best), kInt64));
  state.insert("best_epoch", scalar_tensor(static_cast<double>(p.result.best_epoch), kInt64));
  state.insert("best_val_nll", scalar_tensor(p.result.best_val_nll, kFloat64));
  std::vector<double> train_nll, val_nll, improved, seconds;
  for (const EpochReport& r : p.result.history) {
    train_nll.push_back(r.train_nll);
    val_nll.push_back(r.val_nll);
    improved.push_back(r.improved ? 1 : 0);
    seconds.push_back(r.seconds);
  }
  state.insert("history.train_nll", column(train_nll));
  state.insert("history.val_nll", column(val_nll));
  state.insert("history.improved", column(improved));
  state.insert("history.seconds", column(seconds));
  state.insert_all("model", model.state_dict());
  state.insert_all("optimizer", optimizer.state_dict());
  if (!p.best.empty())
    state.insert_all("best", p.best);
  return state;
}

// Takes back a state of training_state(); all checks come before anything is changed.
Progress resume_training(const nn::StateDict& state, MDN& model, nn::Optimizer& optimizer,
                         std::int64_t epochs) {
  const auto scalar = [&](const char* name, DType dtype) {
    const Tensor t = state.find(name);
    if (!t.defined() || t.dtype() != dtype || t.numel() != 1)
      fail("train: the state to resume from has no {} scalar '{}'; expected a state handed to "
           "on_checkpoint",
           dtype, name);
    return t;
  };
  Progress p;
  p.epochs_done = scalar("epochs_done", kInt64).item<std::int64_t>();
  p.since_best = scalar("since_best", kInt64).item<std::int64_t>();
  p.result.best_epoch = scalar("best_epoch", kInt64).item<std::int64_t>();
  p.result.best_val_nll = scalar("best_val_nll", kFloat64).item<double>();
  if (p.epochs_done < 1 || p.epochs_done > epochs)
    fail("train: the state to resume from has {} epochs done; expected 1 to {} (the epochs asked "
         "for)",
         p.epochs_done, epochs);
  std::vector<std::vector<double>> history;
  for (const char* name :
       {"history.train_nll", "history.val_nll", "history.improved", "history.seconds"}) {
    const Tensor t = state.find(name);
    if (!t.defined() || t.dtype() != kFloat64 || t.dim() != 1 || t.size(0) != p.epochs_done)
      fail("train: the state to resume from lacks '{}' of {} epochs; expected a state handed to "
           "on_checkpoint",
           name, p.epochs_done);
    history.push_back(t.to_vector<double>());
  }
  for (std::size_t e = 0; e < static_cast<std::size_t>(p.epochs_done); ++e)
    p.result.history.push_back({.epoch = static_cast<std::int64_t>(e) + 1,
                                .train_nll = history[0][e],
                                .val_nll = history[1][e],
                                .improved = history[2][e] != 0,
                                .seconds = history[3][e]});
  const nn::StateDict best = part(state, "best");
  if (!best.empty())
    nn::check_state(model.state_dict(), best, "the state to resume from", "the best model");
  nn::check_state(model.state_dict(), part(state, "model"), "the state to resume from",
                  "the model");
  nn::check_state(optimizer.state_dict(), part(state, "optimizer"), "the state to resume from",
                  "the optimiser");
  model.load_state_dict(part(state, "model"), "the state to resume from");
  optimizer.load_state_dict(part(state, "optimizer"), "the state to resume from");
  if (!best.empty()) {
    nn::StateDict in_model_order; // as training_state writes it, whatever the file's order
    for (const auto& [name, tensor] : model.state_dict())
      in_model_order.insert(name, best.find(name));
    p.best = nn::clone_state(in_model_order);
  }
  return p;
}

} // namespace

std::int64_t planned_epochs(const TrainOptions& options, std::int64_t rows) {
  if (options.epochs > 0)
    return options.epochs;
  const std::int64_t batches = (rows + options.batch_size - 1) / options.batch_size;
  return std::max<std::int64_t>(1, (options.steps + batches - 1) / batches);
}

double scheduled_lr(const TrainOptions& options, std::int64_t step, std::int64_t total_steps) {
  if (step < options.warmup_steps)
    return options.lr * static_cast<double>(step + 1) / static_cast<double>(options.warmup_steps);
  if (options.final_lr == 1)
    return options.lr;
  const std::int64_t decay_steps = std::max<std::int64_t>(1, total_steps - options.warmup_steps);
  const double progress =
      std::min(1.0, static_cast<double>(step - options.warmup_steps) /
                        static_cast<double>(std::max<std::int64_t>(1, decay_steps - 1)));
  const double cosine = 0.5 * (1 + std::cos(std::numbers::pi * progress));
  return options.lr * (options.final_lr + (1 - options.final_lr) * cosine);
}

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

namespace {

void check_arguments(const Tensor& x, const Tensor& y, const Tensor& x_val, const Tensor& y_val,
                     const TrainOptions& options) {
  if (options.epochs < 0 || (options.epochs == 0 && options.steps <= 0))
    fail("train: the number of epochs must be positive (or 0 with a positive budget of steps), "
         "got {} epochs and {} steps",
         options.epochs, options.steps);
  if (options.batch_size <= 0)
    fail("train: the batch size must be positive, got {}", options.batch_size);
  if (!(options.lr > 0) || !std::isfinite(options.lr))
    fail("train: the learning rate must be a finite positive number, got {}", options.lr);
  if (options.warmup_steps < 0)
    fail("train: warmup_steps must be >= 0, got {}", options.warmup_steps);
  if (!(options.final_lr > 0 && options.final_lr <= 1))
    fail("train: final_lr is the last step's share of the learning rate, in (0, 1]; got {}",
         options.final_lr);
  if (options.min_epochs < 0)
    fail("train: min_epochs must be >= 0, got {}", options.min_epochs);
  for (const auto& [name, value] : {std::pair{"input_noise", options.input_noise},
                                    std::pair{"target_noise", options.target_noise}})
    if (!(value >= 0) || !std::isfinite(value))
      fail("train: {} must be a finite standard deviation >= 0, got {}", name, value);
  if (x.dim() != 2 || y.dim() != 2 || x.size(0) != y.size(0))
    fail("train: inputs of shape {} and targets of shape {}; expected [N, in] and [N, out] with "
         "the same N",
         x.shape(), y.shape());
  const bool validate = x_val.defined();
  if (validate != y_val.defined())
    fail("train: validation {} given without validation {}; expected both or neither",
         validate ? "inputs" : "targets", validate ? "targets" : "inputs");
  if (validate && (x_val.dim() != 2 || y_val.dim() != 2 || x_val.size(0) != y_val.size(0)))
    fail("train: validation inputs of shape {} and targets of shape {}; expected [M, in] and "
         "[M, out] with the same M",
         x_val.shape(), y_val.shape());
  if (options.checkpoint_every < 0)
    fail("train: checkpoint_every must be >= 0, got {}", options.checkpoint_every);
  if (options.checkpoint_every > 0 && !options.on_checkpoint)
    fail("train: checkpoint_every is {} but on_checkpoint is not set; expected a function that "
         "saves the state",
         options.checkpoint_every);
}

// Adam, or AdamW's decoupled weight decay when one is asked for.
std::unique_ptr<nn::Optimizer> make_optimizer(const std::vector<Tensor>& parameters,
                                              const TrainOptions& options) {
  if (options.weight_decay > 0)
    return std::make_unique<nn::AdamW>(
        parameters, nn::AdamOptions{.lr = options.lr, .weight_decay = options.weight_decay});
  return std::make_unique<nn::Adam>(parameters, nn::AdamOptions{.lr = options.lr});
}

// Noise regularisation: t plus Gaussian noise of standard deviation `stddev` (t itself at 0).
Tensor with_noise(const Tensor& t, double stddev, Generator& gen) {
  if (stddev == 0)
    return t;
  NoGradGuard no_grad;
  return t + randn(t.shape(), gen, t.dtype()) * stddev;
}

// One pass over the shuffled batches: a step of the optimiser per batch, at the scheduled rate,
// on the batch's mean gradient summed shard by shard over the processes. Returns the mean
// training NLL of the epoch (each batch's loss before its step, weighted by its rows).
double train_one_epoch(MDN& model, nn::Optimizer& optimizer, nn::DataLoader& loader,
                       const std::vector<Tensor>& parameters, const TrainOptions& options,
                       nn::Communicator& processes, std::int64_t epoch, std::int64_t total_steps) {
  // The epoch's noise depends on (seed, epoch) alone, as its batches do: a resumed run draws it
  // again. A stream of its own, so that the batches stay those of a run without noise. Every
  // process draws the whole batch's noise and keeps its shards' rows: the same draws as one
  // process makes.
  Generator noise(nn::derive_seed(nn::derive_seed(options.seed, 0x6e6f697365), // "noise"
                                  static_cast<std::uint64_t>(epoch)));
  double total = 0;
  std::int64_t batch_index = 0, rows = 0;
  for (const nn::Batch& batch : loader) {
    ++batch_index;
    optimizer.set_lr(scheduled_lr(options, optimizer.step_count(), total_steps));
    optimizer.zero_grad();
    const Tensor x = with_noise(batch[0], options.input_noise, noise);
    const Tensor y = with_noise(batch[1], options.target_noise, noise);
    const std::int64_t batch_rows = x.size(0);
    const double value =
        nn::sharded_backward(parameters, batch_rows, processes, [&](nn::RowRange r) {
          return model.nll(x.slice(0, r.begin, r.end), y.slice(0, r.begin, r.end));
        });
    if (!std::isfinite(value))
      fail("train: the loss became {} at epoch {}, batch {}; try a smaller learning rate",
           std::isnan(value) ? "NaN" : "infinite", epoch, batch_index);
    if (!all_finite(parameters))
      fail("train: a gradient became non-finite at epoch {}, batch {}; try a smaller learning "
           "rate or clipping",
           epoch, batch_index);
    if (options.clip_norm > 0)
      nn::clip_grad_norm(parameters, options.clip_norm);
    optimizer.step();
    clear_tape();
    total += value * static_cast<double>(batch_rows);
    rows += batch_rows;
  }
  return total / static_cast<double>(rows);
}

// The epoch's validation NLL into its report, and the early-stopping state: a better NLL than
// any before is the model kept (its parameters copied aside).
void validate_epoch(MDN& model, const Tensor& x_val, const Tensor& y_val, EpochReport& report,
                    Progress& p) {
  model.eval();
  report.val_nll = evaluate_nll(model, x_val, y_val);
  model.train();
  report.improved = std::isfinite(report.val_nll) &&
                    (std::isnan(p.result.best_val_nll) || report.val_nll < p.result.best_val_nll);
  if (report.improved) {
    p.result.best_val_nll = report.val_nll;
    p.result.best_epoch = report.epoch;
    p.best = nn::clone_state(model.state_dict());
    p.since_best = 0;
  } else {
    ++p.since_best;
  }
}

// should_stop's answer on process 0, on every process: they stop after the same epoch.
bool agreed_stop(const std::function<bool()>& should_stop, nn::Communicator& processes) {
  std::byte answer{processes.rank() == 0 && should_stop() ? std::uint8_t{1} : std::uint8_t{0}};
  if (processes.size() > 1)
    processes.broadcast(std::span<std::byte>(&answer, 1), 0);
  return answer != std::byte{0};
}

} // namespace

TrainResult train(MDN& model, const Tensor& x, const Tensor& y, const Tensor& x_val,
                  const Tensor& y_val, const TrainOptions& options) {
  check_arguments(x, y, x_val, y_val, options);
  const bool validate = x_val.defined();
  const std::shared_ptr<nn::Communicator> processes =
      options.communicator ? options.communicator : std::make_shared<nn::SingleProcess>();
  const std::vector<Tensor> parameters = model.parameters();
  const std::unique_ptr<nn::Optimizer> optimizer = make_optimizer(parameters, options);
  nn::DataLoader loader({x, y},
                        {.batch_size = options.batch_size, .shuffle = true, .seed = options.seed});
  const std::int64_t epochs = planned_epochs(options, x.size(0));
  const std::int64_t total_steps = epochs * loader.size();
  Progress p;
  if (!options.resume.empty())
    p = resume_training(options.resume, model, *optimizer, epochs);
  loader.set_epoch(p.epochs_done);
  const auto early_stop = [&] {
    return validate && options.patience > 0 && p.epochs_done >= options.min_epochs &&
           p.since_best >= options.patience;
  };
  clear_tape(); // every step records on this thread's tape and clears it; start from an empty one
  model.train();
  for (std::int64_t epoch = p.epochs_done + 1; epoch <= epochs && !early_stop(); ++epoch) {
    const auto start = std::chrono::steady_clock::now();
    EpochReport report;
    report.epoch = epoch;
    report.epochs = epochs;
    report.train_nll = train_one_epoch(model, *optimizer, loader, parameters, options, *processes,
                                       epoch, total_steps);
    if (validate)
      validate_epoch(model, x_val, y_val, report, p);
    else
      p.result.best_epoch = epoch;
    report.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    report.step = optimizer->step_count();
    report.lr = optimizer->lr();
    p.result.history.push_back(report);
    p.epochs_done = epoch;
    if (options.on_epoch)
      options.on_epoch(report);
    const bool more = epoch < epochs && !early_stop();
    const bool stop = more && options.should_stop && agreed_stop(options.should_stop, *processes);
    const bool due = options.checkpoint_every > 0 && epoch % options.checkpoint_every == 0;
    if ((due || stop) && options.on_checkpoint)
      options.on_checkpoint(training_state(model, *optimizer, p));
    if (stop) {
      p.result.stopped = true;
      model.eval();
      return p.result;
    }
  }
  if (options.on_finish)
    options.on_finish(training_state(model, *optimizer, p));
  if (validate && !p.best.empty())
    model.load_state_dict(p.best, "the best epoch's snapshot");
  model.eval();
  return p.result;
}

} // namespace tapegrad::mdn
