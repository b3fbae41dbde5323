#include "mdn/tune.hpp"

#include "mdn/recipe.hpp"
#include "nn/seed.hpp"

#include <chrono>
#include <cmath>
#include <cstddef>
#include <span>

namespace tapegrad::mdn {

namespace {

template <class T, std::size_t N> T pick(const T (&choices)[N], Generator& gen) {
  return choices[gen.below(N)];
}

// The configuration a trial describes, on top of `base`.
FitOptions options_of(const FitOptions& base, const TuneTrial& trial, std::int64_t rows,
                      std::int64_t columns) {
  FitOptions o = base;
  o.components = {trial.components};
  o.model.hidden = trial.hidden;
  o.train.lr = trial.lr;
  o.train.weight_decay = trial.weight_decay;
  o.noise = noise_rule_of_thumb(rows, columns, trial.noise_factor);
  return o;
}

// Whether the time budget is spent, as process 0 of base.communicator sees it, on every process:
// clocks differ, and every process must start the same trials.
bool out_of_time(double elapsed, double budget, nn::Communicator* processes) {
  std::byte spent{elapsed >= budget ? std::uint8_t{1} : std::uint8_t{0}};
  if (processes != nullptr && processes->size() > 1)
    processes->broadcast(std::span<std::byte>(&spent, 1), 0);
  return spent != std::byte{0};
}

} // namespace

TuneTrial tune_trial(const FitOptions& base, std::int64_t index, std::uint64_t seed) {
  TuneTrial t;
  t.index = index;
  if (index == 0) {
    t.components = base.components.empty() ? base.model.components : base.components.front();
    t.hidden = base.model.hidden;
    t.lr = base.train.lr;
    t.noise_factor = base.noise ? 0 : kNoiseFactor; // an explicit noise is searched from trial 1
    t.weight_decay = base.train.weight_decay;
    return t;
  }
  Generator gen(nn::derive_seed(seed, static_cast<std::uint64_t>(index)));
  static constexpr std::int64_t kComponents[] = {1, 2, 3, 4, 5, 6, 8, 10, 15, 20};
  static constexpr std::int64_t kLayers[] = {1, 2, 2, 3};
  static constexpr std::int64_t kWidths[] = {16, 32, 64, 128};
  static constexpr double kNoise[] = {0, 0.1, 0.25, 0.5, 1.0};
  static constexpr double kDecay[] = {0, 0, 1e-4, 1e-3, 1e-2};
  t.components = pick(kComponents, gen);
  t.hidden.assign(static_cast<std::size_t>(pick(kLayers, gen)), pick(kWidths, gen));
  t.lr = std::exp(std::log(3e-4) + gen.uniform() * (std::log(1e-2) - std::log(3e-4)));
  t.noise_factor = pick(kNoise, gen);
  t.weight_decay = pick(kDecay, gen);
  return t;
}

TuneResult tune(const Tensor& x, const Tensor& y, const FitOptions& base,
                const TuneOptions& options) {
  if (!(options.budget_seconds >= 0) || options.trials < 0 ||
      (options.budget_seconds == 0 && options.trials == 0))
    fail("tune: a budget of {} seconds and {} trials; expected a positive budget or a positive "
         "number of trials",
         options.budget_seconds, options.trials);
  const auto start = std::chrono::steady_clock::now();
  const auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  const std::int64_t rows = x.size(0), columns = x.size(1) + y.size(1);
  FitOptions quiet = base;
  quiet.train.on_epoch = nullptr;
  quiet.on_candidate = nullptr;
  TuneResult result;
  for (std::int64_t i = 0;; ++i) {
    if (options.trials > 0
            ? i >= options.trials
            : i > 0 && options.budget_seconds > 0 &&
                  out_of_time(elapsed(), options.budget_seconds, base.communicator.get()))
      break;
    TuneTrial trial = tune_trial(base, i, options.seed);
    const auto trial_start = std::chrono::steady_clock::now();
    const ComponentChoice scores = cross_validate(x, y, options_of(quiet, trial, rows, columns));
    if (scores.stopped)
      break; // train.should_stop: keep what was tried
    trial.cv_nll = scores.scores.front().nll;
    trial.cv_nll_se = scores.scores.front().nll_se;
    trial.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - trial_start).count();
    result.trials.push_back(trial);
    if (trial.cv_nll < result.trials[result.best].cv_nll)
      result.best = result.trials.size() - 1;
    if (options.on_trial)
      options.on_trial(trial);
  }
  if (result.trials.empty())
    fail("tune: stopped before the first trial ended; nothing to fit");
  const TuneTrial& best = result.trials[result.best];
  if (options.on_final_fit)
    options.on_final_fit(best);
  result.model = fit(x, y, options_of(base, best, rows, columns));
  return result;
}

} // namespace tapegrad::mdn
