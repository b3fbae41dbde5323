#include "mdn/fit.hpp"

#include "autograd/ops.hpp"
#include "mdn/predictions.hpp"
#include "nn/data.hpp"

#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

namespace tapegrad::mdn {

namespace {

std::vector<std::int64_t> candidates_of(const FitOptions& options) {
  return options.components.empty() ? std::vector<std::int64_t>{options.model.components}
                                    : options.components;
}

// The given names, or prefix0, prefix1, ... when none are given.
std::vector<std::string> column_names(const std::vector<std::string>& given, const char* prefix,
                                      std::int64_t columns) {
  if (given.empty()) {
    std::vector<std::string> names;
    for (std::int64_t j = 0; j < columns; ++j)
      names.push_back(fmt::format("{}{}", prefix, j));
    return names;
  }
  if (static_cast<std::int64_t>(given.size()) != columns)
    fail("fit: {} {} names for {} columns; expected one name per column", given.size(), prefix,
         columns);
  return given;
}

// Standardising divides each column by its spread: a column that never changes has none.
void check_not_constant(const Tensor& data, const std::vector<std::string>& names,
                        const std::string& source) {
  const std::int64_t n = data.size(0), c = data.size(1);
  const std::vector<double> v = data.to_vector<double>();
  for (std::int64_t j = 0; j < c; ++j) {
    bool constant = true;
    for (std::int64_t i = 1; i < n && constant; ++i)
      constant = v[static_cast<std::size_t>(i * c + j)] == v[static_cast<std::size_t>(j)];
    if (!constant)
      continue;
    const double value = v[static_cast<std::size_t>(j)];
    fail("{}: column '{}' holds the same value ({}) in all {} rows; expected a column that varies "
         "(standardising divides by its spread)",
         source, names[static_cast<std::size_t>(j)],
         data.dtype() == kFloat32 ? fmt::format("{}", static_cast<float>(value))
                                  : fmt::format("{}", value),
         n);
  }
}

void check_data(const Tensor& x, const Tensor& y, const Tensor& x_val, const Tensor& y_val,
                const FitOptions& options) {
  if (x.dim() != 2 || y.dim() != 2 || x.size(0) != y.size(0) || x.size(0) == 0)
    fail("fit: inputs of shape {} and targets of shape {}; expected [N, in] and [N, out] with the "
         "same N > 0",
         x.shape(), y.shape());
  if (x_val.defined() != y_val.defined() ||
      (x_val.defined() &&
       (x_val.dim() != 2 || y_val.dim() != 2 || x_val.size(0) != y_val.size(0) ||
        x_val.size(1) != x.size(1) || y_val.size(1) != y.size(1) || x_val.size(0) == 0)))
    fail("fit: validation inputs of shape {} and targets of shape {}; expected [M, {}] and [M, "
         "{}] with the same M > 0",
         x_val.defined() ? fmt::format("{}", x_val.shape()) : "(none)",
         y_val.defined() ? fmt::format("{}", y_val.shape()) : "(none)", x.size(1), y.size(1));
  if (!is_floating(x.dtype()) || !is_floating(y.dtype()) || !is_floating(options.dtype))
    fail("fit: inputs are {}, targets {} and the network {}; expected float32 or float64",
         x.dtype(), y.dtype(), options.dtype);
  if (!(options.validation >= 0 && options.validation < 1))
    fail("fit: a validation share of {}; expected a fraction in [0, 1)", options.validation);
  const std::vector<std::int64_t> candidates = candidates_of(options);
  if (candidates.size() > 1 && options.validation == 0 && !x_val.defined())
    fail("fit: choosing among {} numbers of components needs validation data; expected a "
         "validation share > 0",
         candidates.size());
  if (candidates.size() > 1 && (!options.checkpoint.empty() || options.resume))
    fail("fit: checkpoints need one number of components, not {}", candidates.size());
}

// train() works in standardised units; log p(y) = log p(z) - sum_d log std_d, so an NLL moves to
// the data's units by adding sum_d log std_d (Standardizer::log_scale_sum).
void to_data_units(EpochReport& report, double shift) {
  report.train_nll += shift;
  report.val_nll += shift; // NaN without validation stays NaN
}

void to_data_units(TrainResult& result, double shift) {
  for (EpochReport& report : result.history)
    to_data_units(report, shift);
  result.best_val_nll += shift;
}

struct Split {
  Tensor x, y, x_val, y_val; // validation undefined without a validation share
};

// The training rows and the validation rows: those given, or a seeded random share of x and y.
Split split_rows(const Tensor& x, const Tensor& y, const Tensor& x_val, const Tensor& y_val,
                 const FitOptions& options) {
  const std::int64_t n = x.size(0);
  Split s{x, y, x_val, y_val};
  if (!x_val.defined() && options.validation > 0) {
    const std::int64_t held_out = nn::validation_rows(n, options.validation);
    if (held_out == 0 || held_out == n)
      fail("{}: {} rows, of which a validation share of {} holds out {}; expected enough rows for "
           "a non-empty training and validation part",
           options.source, n, options.validation, held_out);
    const nn::Split split = nn::train_val_split({x, y}, options.validation, options.seed);
    s = {split.train[0], split.train[1], split.validation[0], split.validation[1]};
  }
  if (s.x.size(0) < options.train.batch_size)
    fail("{}: {} training rows, fewer than one batch of {}; expected at least {} training rows or "
         "a smaller batch",
         options.source, s.x.size(0), options.train.batch_size, options.train.batch_size);
  return s;
}

// Wires train()'s checkpoint hooks to the fit's checkpoint file; remembers the last epoch saved.
struct CheckpointWriter {
  FitCheckpoint state;
  std::filesystem::path path;
  std::int64_t saved_epoch = 0;

  void operator()(const nn::StateDict& train_state) {
    state.train = train_state;
    save_fit_checkpoint(path, state);
    saved_epoch = train_state.find("epochs_done").item<std::int64_t>();
  }
};

// The checkpoint a fit resumes from must be of this data and these settings.
void check_resume(const FitCheckpoint& resume, const FitCheckpoint& now,
                  const std::string& source) {
  for (const auto& [name, value] : now.settings)
    if (value != resume.setting(name))
      fail("fit: setting '{}' is {} here but {} in the run of {}; expected the same", name, value,
           resume.setting(name), resume.path);
  if (now.rows != resume.rows || now.fingerprint != resume.fingerprint)
    fail("{}: these {} rows are not the data the run of {} was trained on ({}, {} rows); expected "
         "the same data",
         source, now.rows, resume.path, resume.data_file, resume.rows);
}

// One K, with the fit's checkpoints: the recipe of the header, on standardised data.
std::shared_ptr<MDN> train_one(const MDNOptions& model_options, TrainOptions train_options,
                               const Split& standardised, const Tensor& x, const Tensor& y,
                               const FitOptions& options, TrainResult& result) {
  CheckpointWriter writer{{fit_settings(options),
                           options.source,
                           x.size(0),
                           data_fingerprint(x, y),
                           {},
                           options.checkpoint.string()},
                          options.checkpoint};
  if (options.resume) {
    check_resume(*options.resume, writer.state, options.source);
    train_options.resume = options.resume->train;
  }
  if (!options.checkpoint.empty()) {
    train_options.checkpoint_every = options.checkpoint_every;
    train_options.on_checkpoint = [&writer](const nn::StateDict& s) { writer(s); };
  }
  if (options.on_candidate)
    options.on_candidate(model_options.components);
  Generator gen(options.seed);
  auto module = std::make_shared<MDN>(model_options, gen, options.dtype);
  module->head().init_from_targets(standardised.y);
  try {
    result = train(*module, standardised.x, standardised.y, standardised.x_val, standardised.y_val,
                   train_options);
  } catch (const Error& e) {
    if (writer.saved_epoch == 0)
      throw;
    fail("{}; the last good checkpoint, of epoch {}, stays in {}", e.what(), writer.saved_epoch,
         options.checkpoint.string());
  }
  return module;
}

} // namespace

std::vector<std::pair<std::string, std::string>> fit_settings(const FitOptions& options) {
  const MDNOptions& m = options.model;
  const TrainOptions& t = options.train;
  return {{"x", fmt::format("{}", fmt::join(options.x_names, ","))},
          {"y", fmt::format("{}", fmt::join(options.y_names, ","))},
          {"components", fmt::format("{}", fmt::join(candidates_of(options), ","))},
          {"noise", std::string(noise_model_name(m.noise))},
          {"hidden", fmt::format("{}", fmt::join(m.hidden, ","))},
          {"activation", std::string(nn::activation_name(m.activation))},
          {"epochs", fmt::format("{}", t.epochs)},
          {"batch", fmt::format("{}", t.batch_size)},
          {"lr", fmt::format("{}", t.lr)},
          {"val", fmt::format("{}", options.validation)},
          {"patience", fmt::format("{}", t.patience)},
          {"seed", fmt::format("{}", options.seed)}};
}

FittedModel fit(const Tensor& x, const Tensor& y, const FitOptions& options) {
  return fit(x, y, Tensor(), Tensor(), options);
}

FittedModel fit(const Tensor& x_data, const Tensor& y_data, const Tensor& x_val_data,
                const Tensor& y_val_data, const FitOptions& options) {
  check_data(x_data, y_data, x_val_data, y_val_data, options);
  const auto as_dtype = [&](const Tensor& t) {
    return !t.defined() || t.dtype() == options.dtype ? t : t.to(options.dtype);
  };
  const Tensor x = as_dtype(x_data), y = as_dtype(y_data);
  FittedModel fitted;
  fitted.x_names = column_names(options.x_names, "x", x.size(1));
  fitted.y_names = column_names(options.y_names, "y", y.size(1));
  check_not_constant(x, fitted.x_names, options.source);
  check_not_constant(y, fitted.y_names, options.source);
  const Split raw = split_rows(x, y, as_dtype(x_val_data), as_dtype(y_val_data), options);
  fitted.x_scale = Standardizer::fit(raw.x);
  fitted.y_scale = Standardizer::fit(raw.y);
  const bool validate = raw.x_val.defined();
  const Split standardised{fitted.x_scale.apply(raw.x), fitted.y_scale.apply(raw.y),
                           validate ? fitted.x_scale.apply(raw.x_val) : Tensor(),
                           validate ? fitted.y_scale.apply(raw.y_val) : Tensor()};

  MDNOptions model_options = options.model;
  model_options.in_features = x.size(1);
  model_options.out_dim = y.size(1);
  TrainOptions train_options = options.train;
  train_options.seed = options.seed; // one seed: the weights, the split and the batches
  const double shift = fitted.y_scale.log_scale_sum();
  if (options.train.on_epoch)
    train_options.on_epoch = [&options, shift](const EpochReport& report) {
      EpochReport in_data_units = report;
      to_data_units(in_data_units, shift);
      options.train.on_epoch(in_data_units);
    };
  const std::vector<std::int64_t> candidates = candidates_of(options);
  std::size_t best = 0;
  if (candidates.size() == 1) {
    model_options.components = candidates[0];
    TrainResult result;
    auto module = train_one(model_options, train_options, standardised, x, y, options, result);
    fitted.candidates.push_back(
        {candidates[0], NAN, result.best_epoch, std::move(module), std::move(result)});
  } else {
    OrderSelection selection =
        select_components(candidates, model_options, train_options, standardised.x, standardised.y,
                          standardised.x_val, standardised.y_val, options.seed, true, options.dtype,
                          options.on_candidate);
    fitted.candidates = std::move(selection.candidates);
    best = selection.best;
  }
  // Each candidate's validation NLL and history in the data's units, as the user reads them.
  for (OrderCandidate& candidate : fitted.candidates) {
    fitted.module = candidate.model;
    candidate.val_nll = validate ? fitted.nll(raw.x_val, raw.y_val) : NAN;
    to_data_units(candidate.result, shift);
  }
  fitted.module = fitted.candidates[best].model;
  fitted.result = fitted.candidates[best].result;
  // Stopped by train.should_stop: the last candidate trained did not finish.
  fitted.result.stopped = fitted.candidates.back().result.stopped;
  return fitted;
}

Mixture FittedModel::mixture(const Tensor& x) const {
  if (x.dim() != 2 || x.size(1) != in_features())
    fail("FittedModel: inputs have shape {}, expected [rows, {}] (columns {})", x.shape(),
         in_features(), fmt::join(x_names, ","));
  NoGradGuard no_grad;
  const DType dtype = module->parameters().front().dtype();
  const Tensor input = x.dtype() == dtype ? x : x.to(dtype);
  return y_scale.unstandardize(module->mixture(x_scale.apply(input)).detach());
}

double FittedModel::nll(const Tensor& x, const Tensor& y) const {
  NoGradGuard no_grad;
  const Mixture m = mixture(x);
  return -m.log_prob(y.dtype() == m.mean.dtype() ? y : y.to(m.mean.dtype())).mean().item<double>();
}

Metrics FittedModel::evaluate(const Tensor& x, const Tensor& y) const {
  const Mixture m = mixture(x);
  return mdn::evaluate(m, y.dtype() == m.mean.dtype() ? y : y.to(m.mean.dtype()));
}

Tensor FittedModel::sample(const Tensor& x, std::int64_t n, Generator& generator,
                           const SampleOptions& options) const {
  return mdn::sample(mixture(x), n, generator, options);
}

Predictions FittedModel::predict(const Tensor& x) const {
  const Mixture m = mixture(x);
  const std::int64_t b = m.batch_size(), k = m.num_components(), d = m.dim();
  const std::vector<double> cov = mixture_covariance(m).total.to_vector<double>();
  const std::vector<double> log_pi = m.log_pi.to_vector<double>();
  const std::vector<double> scale = m.scale.to_vector<double>();
  const std::int64_t scale_width = m.scale.size(2); // D, or 1 for isotropic and fixed
  std::vector<double> stddev(static_cast<std::size_t>(b * d)),
      weight(static_cast<std::size_t>(b * k)),
      component_stddev(static_cast<std::size_t>(b * k * d));
  for (std::int64_t r = 0; r < b; ++r)
    for (std::int64_t j = 0; j < d; ++j)
      stddev[static_cast<std::size_t>(r * d + j)] =
          std::sqrt(cov[static_cast<std::size_t>((r * d + j) * d + j)]);
  for (std::int64_t c = 0; c < b * k; ++c) {
    weight[static_cast<std::size_t>(c)] = std::exp(log_pi[static_cast<std::size_t>(c)]);
    for (std::int64_t j = 0; j < d; ++j) {
      double sigma = 0;
      if (m.noise == NoiseModel::Full) { // the norm of row j of L
        for (std::int64_t i = 0; i <= j; ++i)
          sigma += std::pow(scale[static_cast<std::size_t>((c * d + j) * d + i)], 2);
        sigma = std::sqrt(sigma);
      } else {
        sigma = scale[static_cast<std::size_t>(c * scale_width + (scale_width == 1 ? 0 : j))];
      }
      component_stddev[static_cast<std::size_t>(c * d + j)] = sigma;
    }
  }
  return {mixture_mean(m).to(kFloat64), from_vector(stddev, {b, d}, kFloat64),
          mixture_mode(m).to(kFloat64), from_vector(weight, {b, k}, kFloat64),
          m.mean.to(kFloat64),          from_vector(component_stddev, {b, k, d}, kFloat64)};
}

} // namespace tapegrad::mdn
