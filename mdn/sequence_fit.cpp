#include "mdn/sequence_fit.hpp"

#include "autograd/ops.hpp"
#include "mdn/sequence_sampling.hpp"
#include "nn/data.hpp"

#include <cmath>
#include <numeric>

namespace tapegrad::mdn {

namespace {

void check_series(const std::vector<Tensor>& series, const SequenceFitOptions& options) {
  if (series.empty())
    fail("fit_sequences: {} holds no sequences", options.source);
  const std::int64_t d = series.front().dim() == 2 ? series.front().size(1) : 0;
  for (std::size_t i = 0; i < series.size(); ++i) {
    const Tensor& s = series[i];
    if (s.dim() != 2 || s.size(1) != d || d < 1 || !is_floating(s.dtype()))
      fail("fit_sequences: sequence {} of {} has shape {} ({}); expected [steps, {}] of floats "
           "like the first",
           i, options.source, s.shape(), s.dtype(), std::max<std::int64_t>(d, 1));
    if (s.size(0) < 2)
      fail("fit_sequences: sequence {} of {} has {} step; expected at least 2 (the first step "
           "has no past to predict it from)",
           i, options.source, s.size(0));
    for (double v : s.to_vector<double>())
      if (!std::isfinite(v))
        fail("fit_sequences: sequence {} of {} holds {}; expected finite numbers", i,
             options.source, v);
  }
  if (!options.y_names.empty() && static_cast<std::int64_t>(options.y_names.size()) != d)
    fail("fit_sequences: {} column names for sequences of {} columns", options.y_names.size(), d);
}

// Standardising divides each column by its spread: a column that never changes has none.
void check_not_constant(const Tensor& rows, const std::vector<std::string>& names,
                        const std::string& source) {
  const std::int64_t n = rows.size(0), c = rows.size(1);
  const std::vector<double> v = rows.to_vector<double>();
  for (std::int64_t j = 0; j < c; ++j) {
    bool constant = true;
    for (std::int64_t i = 1; i < n && constant; ++i)
      constant = v[static_cast<std::size_t>(i * c + j)] == v[static_cast<std::size_t>(j)];
    if (constant)
      fail("{}: column '{}' holds the same value ({}) in all {} training steps; expected a column "
           "that varies (standardising divides by its spread)",
           source, names[static_cast<std::size_t>(j)], v[static_cast<std::size_t>(j)], n);
  }
}

std::vector<Tensor> standardised(const std::vector<Tensor>& series, const Standardizer& scale) {
  std::vector<Tensor> out;
  for (const Tensor& s : series)
    out.push_back(scale.apply(s.to(kFloat64)).to(kFloat32));
  return out;
}

} // namespace

FittedSequenceModel fit_sequences(const std::vector<Tensor>& series,
                                  const SequenceFitOptions& options) {
  check_series(series, options);
  const auto n = static_cast<std::int64_t>(series.size());
  const std::int64_t d = series.front().size(1);
  const std::int64_t held_out =
      options.validation > 0 ? nn::validation_rows(n, options.validation) : 0;
  if (options.validation > 0 && (held_out == 0 || held_out == n))
    fail("{}: {} sequences, of which a validation share of {} holds out {}; expected enough "
         "sequences for a non-empty training and validation part (or no validation)",
         options.source, n, options.validation, held_out);
  // A seeded shuffle of the sequences: the first held_out validate, the others train.
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  Generator split(options.seed);
  for (std::size_t i = order.size(); i > 1; --i)
    std::swap(order[i - 1], order[split.below(i)]);
  std::vector<Tensor> train, validation;
  for (std::int64_t i = 0; i < n; ++i)
    (i < held_out ? validation : train)
        .push_back(series[static_cast<std::size_t>(order[static_cast<std::size_t>(i)])]);

  FittedSequenceModel fitted;
  fitted.y_names = options.y_names;
  for (std::int64_t j = static_cast<std::int64_t>(fitted.y_names.size()); j < d; ++j)
    fitted.y_names.push_back(fmt::format("y{}", j));
  fitted.sequence_name = options.sequence_name;
  const Tensor train_rows = cat(train, 0).to(kFloat64);
  check_not_constant(train_rows, fitted.y_names, options.source);
  fitted.y_scale = Standardizer::fit(train_rows);

  SequenceMDNOptions o = options.model;
  o.in_features = o.out_dim = d;
  o.end_of_stroke = false;
  Generator gen(options.seed);
  fitted.module = std::make_shared<SequenceMDN>(o, gen);
  const std::vector<Tensor> train_z = standardised(train, fitted.y_scale);
  fitted.module->head().init_from_targets(cat(train_z, 0));
  const SequenceData train_data = autoregressive_sequences(train_z);
  const SequenceData validation_data =
      validation.empty() ? SequenceData{}
                         : autoregressive_sequences(standardised(validation, fitted.y_scale));
  // train_sequences works in standardised units; log p(y) = log p(z) - sum_d log std_d, so an
  // NLL moves to the data's units by adding sum_d log std_d.
  const double shift = fitted.y_scale.log_scale_sum();
  const auto to_data_units = [shift](EpochReport& r) {
    r.train_nll += shift;
    r.val_nll += shift; // NaN without validation stays NaN
  };
  SequenceTrainOptions train_options = options.train;
  if (options.train.on_epoch)
    train_options.on_epoch = [&](const EpochReport& report) {
      EpochReport in_data_units = report;
      to_data_units(in_data_units);
      options.train.on_epoch(in_data_units);
    };
  fitted.result = train_sequences(*fitted.module, train_data, validation_data, train_options);
  for (EpochReport& r : fitted.result.history)
    to_data_units(r);
  fitted.result.best_val_nll += shift;
  return fitted;
}

std::vector<std::vector<double>>
FittedSequenceModel::step_nll(const std::vector<Tensor>& series) const {
  for (std::size_t i = 0; i < series.size(); ++i)
    if (series[i].dim() != 2 || series[i].size(1) != out_dim() || series[i].size(0) < 1)
      fail("step_nll: sequence {} has shape {}; expected [steps >= 1, {}] (the model's columns)", i,
           series[i].shape(), out_dim());
  const SequenceData data = autoregressive_sequences(standardised(series, y_scale));
  const std::vector<double> lp = sequence_log_prob(*module, data).to_vector<double>();
  const double shift = y_scale.log_scale_sum(); // log p(y) = log p(z) - sum_d log std_d
  std::vector<std::vector<double>> out;
  for (std::int64_t i = 0; i < data.size(); ++i) {
    std::vector<double>& steps = out.emplace_back();
    for (std::int64_t t = 0; t < data.lengths[static_cast<std::size_t>(i)]; ++t)
      steps.push_back(-lp[static_cast<std::size_t>(i * data.time() + t)] + shift);
  }
  return out;
}

double FittedSequenceModel::nll(const std::vector<Tensor>& series) const {
  double total = 0, steps = 0;
  for (const std::vector<double>& s : step_nll(series))
    for (double v : s) {
      total += v;
      steps += 1;
    }
  return total / steps;
}

std::vector<Tensor> FittedSequenceModel::continue_sequences(const std::vector<Tensor>& series,
                                                            std::int64_t steps,
                                                            Generator& generator,
                                                            const SampleOptions& options) const {
  const SequenceData prefix = autoregressive_sequences(standardised(series, y_scale));
  const Tensor drawn = mdn::continue_sequences(*module, prefix, steps, generator, options).y;
  std::vector<Tensor> out;
  for (std::int64_t i = 0; i < prefix.size(); ++i)
    out.push_back(y_scale.invert(drawn.slice(0, i, i + 1).reshape({steps, out_dim()})));
  return out;
}

} // namespace tapegrad::mdn
