#include "mdn/cross_validation.hpp"

#include "autograd/ops.hpp"
#include "mdn/spread_jobs.hpp"
#include "nn/seed.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace tapegrad::mdn {

namespace {

// Row i belongs to fold fold_of[i]: a seeded shuffle of the rows dealt round-robin, so that the
// folds differ in size by one row at most.
std::vector<std::int64_t> deal_folds(std::int64_t rows, std::int64_t folds, std::uint64_t seed) {
  std::vector<std::int64_t> order(static_cast<std::size_t>(rows));
  std::iota(order.begin(), order.end(), 0);
  Generator gen(seed);
  for (std::int64_t i = rows - 1; i > 0; --i) // Fisher-Yates
    std::swap(order[static_cast<std::size_t>(i)],
              order[static_cast<std::size_t>(gen.below(static_cast<std::uint64_t>(i + 1)))]);
  std::vector<std::int64_t> fold_of(static_cast<std::size_t>(rows));
  for (std::int64_t i = 0; i < rows; ++i)
    fold_of[static_cast<std::size_t>(order[static_cast<std::size_t>(i)])] = i % folds;
  return fold_of;
}

Tensor rows_of(const Tensor& t, const std::vector<std::int64_t>& rows) {
  return t.index_select(0, from_vector(rows, {static_cast<std::int64_t>(rows.size())}, kInt64));
}

double mean(const std::vector<double>& v) {
  return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

// The standard error of the mean of v.
double standard_error(const std::vector<double>& v) {
  const double m = mean(v);
  double squares = 0;
  for (double e : v)
    squares += (e - m) * (e - m);
  const auto n = static_cast<double>(v.size());
  return std::sqrt(squares / std::max(1.0, n - 1) / n);
}

} // namespace

ComponentChoice cross_validate_components(const std::vector<std::int64_t>& components,
                                          MDNOptions model, const TrainOptions& train,
                                          const Tensor& x, const Tensor& y, std::int64_t folds,
                                          double validation, std::uint64_t seed, DType dtype,
                                          nn::Communicator* processes) {
  const std::int64_t n = x.size(0);
  if (components.empty())
    fail("cross_validate_components: expected at least one candidate number of components");
  if (folds < 2 || folds > n)
    fail("cross-validation: {} folds of {} rows; expected 2 to {} folds", folds, n, n);
  const std::vector<std::int64_t> fold_of =
      deal_folds(n, folds, nn::derive_seed(seed, 0x666f6c6473)); // "folds"
  std::vector<std::vector<std::int64_t>> inside(static_cast<std::size_t>(folds)),
      outside(static_cast<std::size_t>(folds));
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t f = 0; f < folds; ++f)
      (fold_of[static_cast<std::size_t>(i)] == f ? inside : outside)[static_cast<std::size_t>(f)]
          .push_back(i);

  // Job j fits candidate j / folds on every fold but j % folds and scores that fold's rows: the
  // NLL of each row of the fold, then 1 if should_stop stopped its network (then no NLL).
  const auto candidates = static_cast<std::int64_t>(components.size());
  std::vector<std::vector<double>> scored(static_cast<std::size_t>(candidates * folds));
  for (std::size_t j = 0; j < scored.size(); ++j)
    scored[j].assign(inside[j % static_cast<std::size_t>(folds)].size() + 1, 0.0);
  const auto job = [&](std::int64_t j) {
    const auto c = static_cast<std::size_t>(j / folds);
    const auto f = static_cast<std::size_t>(j % folds);
    MDNOptions options = model;
    options.components = components[c];
    const std::uint64_t fold_seed = nn::derive_seed(seed, 1000 + f);
    const NetworkData data =
        split_for_network(rows_of(x, outside[f]), rows_of(y, outside[f]), validation, fold_seed);
    const NetworkFit fitted = fit_network(options, train, data, fold_seed, dtype);
    std::vector<double>& out = scored[static_cast<std::size_t>(j)];
    if (fitted.result.stopped) {
      out.back() = 1;
      return;
    }
    NoGradGuard no_grad;
    const std::vector<double> log_p = fitted.model->mixture(rows_of(x, inside[f]))
                                          .log_prob(rows_of(y, inside[f]))
                                          .to_vector<double>();
    for (std::size_t r = 0; r < log_p.size(); ++r)
      out[r] = -log_p[r];
  };
  spread_jobs(candidates * folds, processes, job, share_bytes(processes, [&](std::int64_t j) {
                return std::as_writable_bytes(
                    std::span<double>(scored[static_cast<std::size_t>(j)]));
              }));
  std::vector<std::vector<double>> row_nll(components.size(),
                                           std::vector<double>(static_cast<std::size_t>(n)));
  bool stopped = false;
  for (std::size_t j = 0; j < scored.size(); ++j) {
    const std::size_t c = j / static_cast<std::size_t>(folds),
                      f = j % static_cast<std::size_t>(folds);
    stopped = stopped || scored[j].back() != 0;
    for (std::size_t r = 0; r < inside[f].size(); ++r)
      row_nll[c][static_cast<std::size_t>(inside[f][r])] = scored[j][r];
  }

  if (stopped) {
    ComponentChoice choice;
    choice.stopped = true;
    return choice;
  }
  return choose_components(components, row_nll);
}

ComponentChoice choose_components(const std::vector<std::int64_t>& components,
                                  const std::vector<std::vector<double>>& row_nll) {
  ComponentChoice choice;
  const std::size_t n = row_nll.front().size();
  for (std::size_t c = 0; c < components.size(); ++c) {
    choice.scores.push_back({components[c], mean(row_nll[c]), standard_error(row_nll[c])});
    if (!std::isfinite(choice.scores[c].nll))
      fail("cross-validation: K = {} scored an out-of-fold NLL of {}; expected a finite one",
           components[c], choice.scores[c].nll);
    if (choice.scores[c].nll < choice.scores[choice.best].nll)
      choice.best = c;
  }
  for (std::size_t c = 0; c < components.size(); ++c) {
    std::vector<double> difference(n);
    for (std::size_t i = 0; i < difference.size(); ++i)
      difference[i] = row_nll[c][i] - row_nll[choice.best][i];
    choice.scores[c].excess = mean(difference);
    choice.scores[c].excess_se = standard_error(difference);
  }
  // The one-standard-error rule: the fewest components scoring within the best K's standard
  // error of it (the paired excess above is the finer yardstick, reported beside it; see the
  // header for why the choice does not use it).
  const ComponentScore& best = choice.scores[choice.best];
  choice.chosen = choice.best;
  for (std::size_t c = 0; c < components.size(); ++c) {
    const ComponentScore& s = choice.scores[c];
    if (s.nll <= best.nll + best.nll_se && s.components < choice.scores[choice.chosen].components)
      choice.chosen = c;
  }
  return choice;
}

} // namespace tapegrad::mdn
