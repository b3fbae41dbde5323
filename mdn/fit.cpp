#include "mdn/fit.hpp"

#include "autograd/ops.hpp"
#include "mdn/checkpoint_writer.hpp"
#include "mdn/cross_validation.hpp"
#include "mdn/ensemble.hpp"
#include "mdn/network_fit.hpp"
#include "mdn/parallel_jobs.hpp"
#include "mdn/predictions.hpp"
#include "mdn/recipe.hpp"
#include "mdn/resolution.hpp"
#include "mdn/share_network.hpp"
#include "mdn/spread_jobs.hpp"
#include "nn/data.hpp"
#include "nn/sharded_gradient.hpp"

#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <mutex>

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
  if (options.ensemble < 1 || options.ensemble > kMaxEnsemble)
    fail("fit: an ensemble of {} networks; expected 1 to {}", options.ensemble, kMaxEnsemble);
  if (options.noise && !(*options.noise >= 0 && std::isfinite(*options.noise)))
    fail("fit: a noise regularisation of {}; expected a finite standard deviation >= 0",
         *options.noise);
  const std::vector<std::int64_t> candidates = candidates_of(options);
  if (candidates.size() > 1 && (!options.checkpoint.empty() || options.resume))
    fail("fit: checkpoints need one number of components, not {}", candidates.size());
  if (candidates.size() > 1 && (options.folds < 2 || options.folds > x.size(0)))
    fail("{}: choosing among {} numbers of components by {}-fold cross-validation of {} rows; "
         "expected 2 to {} folds",
         options.source, candidates.size(), options.folds, x.size(0), x.size(0));
}

// Each network's early stopping needs rows to stop on and rows to train on.
void check_split(std::int64_t rows, const FitOptions& options) {
  const std::int64_t held_out = nn::validation_rows(rows, options.validation);
  if (options.validation > 0 && (held_out == 0 || held_out == rows))
    fail("{}: {} rows, of which a validation share of {} holds out {}; expected enough rows for "
         "a non-empty training and validation part",
         options.source, rows, options.validation, held_out);
  if (rows - held_out < options.train.batch_size)
    fail("{}: {} training rows, fewer than one batch of {}; expected at least {} training rows or "
         "a smaller batch",
         options.source, rows - held_out, options.train.batch_size, options.train.batch_size);
}

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

// Whether an ensemble's networks go to the processes whole, one process each (rather than each
// network sharing its batches among them all): when that leaves each process no more of the
// ensemble's work, ceil(M / N) of M networks against ceil(S / N) of a batch's S shards, and no
// checkpoint has to gather every network's state on one process (no periodic checkpoints, no
// resume). Either way the networks are the bits one process trains.
bool deal_out_networks(const TrainOptions& train, const Tensor& x, const Tensor& x_val,
                       const FitOptions& options) {
  const std::int64_t members = options.ensemble, n = options.communicator->size();
  const std::int64_t rows = x_val.defined() || options.validation <= 0
                                ? x.size(0)
                                : x.size(0) - nn::validation_rows(x.size(0), options.validation);
  const std::int64_t shards =
      nn::shard_count(std::max<std::int64_t>(1, resolve_training(train, rows).batch_size));
  return members > 1 && options.checkpoint_every == 0 && !options.resume &&
         (members + n - 1) / n * shards <= (shards + n - 1) / n * members;
}

// The ensemble of one K on standardised rows, its networks in parallel (each from its own seed,
// holding out its own validation share unless validation rows are given), with the fit's
// checkpoints. The networks' epochs reach train.on_epoch one at a time, labelled with the member.
// On several processes the networks are dealt out to them (deal_out_networks) or train one
// after another, each on every process's share of its batches (MPI calls from several threads at
// once would need MPI_THREAD_MULTIPLE); a network depends on its index alone, so neither changes
// any bits.
std::vector<NetworkFit> fit_ensemble(const MDNOptions& model, const TrainOptions& train,
                                     const Tensor& x, const Tensor& y, const Tensor& x_val,
                                     const Tensor& y_val, const FitOptions& options,
                                     const FitCheckpoint& identity) {
  const std::int64_t members = options.ensemble;
  const bool several = options.communicator && options.communicator->size() > 1;
  const bool dealt = several && deal_out_networks(train, x, x_val, options);
  CheckpointWriter writer(identity, options.checkpoint, members,
                          !several || options.communicator->rank() == 0);
  if (options.resume)
    check_resume(*options.resume, identity, options.source);
  std::mutex report_mutex;
  std::vector<NetworkFit> fits(static_cast<std::size_t>(members));
  const auto job = [&](std::int64_t m) {
    const std::uint64_t seed = network_seed(options.seed, m);
    TrainOptions t = train;
    t.communicator = dealt ? nullptr : options.communicator;
    if (dealt) // a stop could not reach the networks of the other processes in step
      t.should_stop = nullptr;
    if (train.on_epoch)
      t.on_epoch = [&, m](const EpochReport& report) {
        const std::lock_guard<std::mutex> lock(report_mutex);
        EpochReport labelled = report;
        labelled.member = m;
        train.on_epoch(labelled);
      };
    if (options.resume)
      t.resume = CheckpointWriter::member_state(options.resume->train, m);
    if (!options.checkpoint.empty()) {
      t.checkpoint_every = options.checkpoint_every;
      t.on_checkpoint = [&writer, m](const nn::StateDict& s) { writer.save(m, s); };
      // A finished network's state goes into the files written later: not trained on resume.
      t.on_finish = [&writer, m](const nn::StateDict& s) { writer.keep(m, s); };
    }
    const NetworkData data = x_val.defined() ? NetworkData{x, y, x_val, y_val}
                                             : split_for_network(x, y, options.validation, seed);
    try {
      fits[static_cast<std::size_t>(m)] = fit_network(model, t, data, seed, options.dtype);
    } catch (const Error& e) {
      const std::int64_t saved = writer.saved_epoch(m);
      if (saved == 0 && members == 1)
        throw;
      const std::string what =
          members == 1 ? e.what() : fmt::format("network {} of {}: {}", m + 1, members, e.what());
      if (saved == 0)
        fail("{}", what);
      fail("{}; the last good checkpoint, of epoch {}, stays in {}", what, saved,
           options.checkpoint.string());
    }
  };
  if (dealt) {
    nn::Communicator& processes = *options.communicator;
    spread_jobs(members, &processes, job, [&](std::int64_t m, int owner) {
      NetworkFit& fit = fits[static_cast<std::size_t>(m)];
      share_network(fit, model, options.dtype, processes, owner);
      if (processes.rank() != owner && train.on_epoch) // its epochs, for the log
        for (EpochReport report : fit.result.history) {
          report.member = m;
          train.on_epoch(report);
        }
    });
  } else if (several) {
    for (std::int64_t m = 0; m < members; ++m)
      job(m);
  } else {
    parallel_jobs(members, job);
  }
  return fits;
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

// The standard deviation of the noise of noise regularisation on standardised data.
double noise_of(const FitOptions& options, std::int64_t rows, std::int64_t columns) {
  return options.noise ? *options.noise : noise_rule_of_thumb(rows, columns, kNoiseFactor);
}

std::string text_of(std::optional<double> value) {
  return value ? fmt::format("{}", *value) : "auto";
}

} // namespace

std::vector<std::pair<std::string, std::string>> fit_settings(const FitOptions& options) {
  const MDNOptions& m = options.model;
  const TrainOptions& t = options.train;
  const auto automatic = [](std::int64_t v, std::int64_t when) {
    return v == when ? std::string("auto") : fmt::format("{}", v);
  };
  return {{"x", fmt::format("{}", fmt::join(options.x_names, ","))},
          {"y", fmt::format("{}", fmt::join(options.y_names, ","))},
          {"components", fmt::format("{}", fmt::join(candidates_of(options), ","))},
          {"noise", std::string(noise_model_name(m.noise))},
          {"hidden", fmt::format("{}", fmt::join(m.hidden, ","))},
          {"activation", std::string(nn::activation_name(m.activation))},
          {"epochs", t.epochs == 0 ? std::string("auto") : fmt::format("{}", t.epochs)},
          {"steps", fmt::format("{}", t.steps)},
          {"batch", automatic(t.batch_size, 0)},
          {"lr", fmt::format("{}", t.lr)},
          {"val", fmt::format("{}", options.validation)},
          {"patience", t.patience < 0 ? std::string("auto") : fmt::format("{}", t.patience)},
          {"ensemble", fmt::format("{}", options.ensemble)},
          {"noise-reg", text_of(options.noise)},
          {"weight-decay", fmt::format("{}", t.weight_decay)},
          {"seed", fmt::format("{}", options.seed)}};
}

FittedModel fit(const Tensor& x, const Tensor& y, const FitOptions& options) {
  return fit(x, y, Tensor(), Tensor(), options);
}

namespace {

// What every fit of (x, y) starts from: the data in the network's dtype, checked, the column
// names, the standardisers and the standardised rows, the network's options with the floor
// raised to the data's resolution, and the training options with the noise resolved.
struct Prepared {
  Tensor x, y, x_val, y_val; // in options.dtype; validation rows undefined unless given
  std::vector<std::string> x_names, y_names;
  Standardizer x_scale, y_scale;
  Tensor xs, ys, xs_val, ys_val; // standardised
  MDNOptions model;
  TrainOptions train;
  double units = 0; // an NLL of standardised targets + units = the NLL in the data's units
};

Prepared prepare(const Tensor& x_data, const Tensor& y_data, const Tensor& x_val_data,
                 const Tensor& y_val_data, const FitOptions& options) {
  check_data(x_data, y_data, x_val_data, y_val_data, options);
  const auto as_dtype = [&](const Tensor& t) {
    return !t.defined() || t.dtype() == options.dtype ? t : t.to(options.dtype);
  };
  Prepared p;
  p.x = as_dtype(x_data);
  p.y = as_dtype(y_data);
  p.x_val = as_dtype(x_val_data);
  p.y_val = as_dtype(y_val_data);
  p.x_names = column_names(options.x_names, "x", p.x.size(1));
  p.y_names = column_names(options.y_names, "y", p.y.size(1));
  check_not_constant(p.x, p.x_names, options.source);
  check_not_constant(p.y, p.y_names, options.source);
  if (!p.x_val.defined())
    check_split(p.x.size(0), options);
  p.x_scale = Standardizer::fit(p.x);
  p.y_scale = Standardizer::fit(p.y);
  p.xs = p.x_scale.apply(p.x);
  p.ys = p.y_scale.apply(p.y);
  if (p.x_val.defined()) {
    p.xs_val = p.x_scale.apply(p.x_val);
    p.ys_val = p.y_scale.apply(p.y_val);
  }
  p.model = options.model;
  p.model.in_features = p.x.size(1);
  p.model.out_dim = p.y.size(1);
  // One output: a full covariance is one scale per component, the diagonal model, whose fused
  // log-likelihood is faster.
  if (p.model.out_dim == 1 && p.model.noise == NoiseModel::Full)
    p.model.noise = NoiseModel::Diagonal;
  if (options.floor_at_resolution)
    p.model.min_scale = resolution_floor(column_resolution(p.y), p.y_scale.std, p.model.min_scale);
  p.train = options.train;
  p.train.input_noise = p.train.target_noise =
      noise_of(options, p.x.size(0), p.x.size(1) + p.y.size(1));
  p.units = p.y_scale.log_scale_sum();
  if (options.train.on_epoch) // the user sees the data's units
    p.train.on_epoch = [report = options.train.on_epoch, units = p.units](const EpochReport& r) {
      EpochReport in_data_units = r;
      to_data_units(in_data_units, units);
      report(in_data_units);
    };
  return p;
}

ComponentChoice cross_validate(const Prepared& p, const FitOptions& options) {
  TrainOptions quiet = p.train; // the networks of the folds run side by side: no progress display
  quiet.on_epoch = nullptr;
  ComponentChoice choice = cross_validate_components(
      candidates_of(options), p.model, quiet, p.xs, p.ys, options.folds, options.validation,
      options.seed, options.dtype, options.communicator.get());
  for (ComponentScore& s : choice.scores)
    s.nll += p.units;
  return choice;
}

} // namespace

ComponentChoice cross_validate(const Tensor& x, const Tensor& y, const FitOptions& options) {
  return cross_validate(prepare(x, y, Tensor(), Tensor(), options), options);
}

FittedModel fit(const Tensor& x_data, const Tensor& y_data, const Tensor& x_val_data,
                const Tensor& y_val_data, const FitOptions& options) {
  const Prepared p = prepare(x_data, y_data, x_val_data, y_val_data, options);
  FittedModel fitted;
  fitted.x_names = p.x_names;
  fitted.y_names = p.y_names;
  fitted.x_scale = p.x_scale;
  fitted.y_scale = p.y_scale;
  MDNOptions model = p.model;

  // Several K: cross-validation chooses one (and the table goes to candidates).
  const std::vector<std::int64_t> candidates = candidates_of(options);
  std::size_t chosen = 0;
  if (candidates.size() > 1) {
    const ComponentChoice choice = cross_validate(p, options);
    if (choice.stopped) {
      fitted.result.stopped = true;
      return fitted;
    }
    for (const ComponentScore& s : choice.scores) {
      OrderCandidate& c = fitted.candidates.emplace_back();
      c.components = s.components;
      c.val_nll = s.nll;
      c.val_nll_se = s.nll_se;
      c.excess = s.excess;
      c.excess_se = s.excess_se;
    }
    chosen = choice.chosen;
  }
  model.components = candidates[chosen];
  if (options.on_candidate)
    options.on_candidate(model.components);

  const FitCheckpoint identity{
      fit_settings(options),      options.source, p.x.size(0), data_fingerprint(p.x, p.y), {},
      options.checkpoint.string()};
  std::vector<NetworkFit> networks =
      fit_ensemble(model, p.train, p.xs, p.ys, p.xs_val, p.ys_val, options, identity);
  double val_nll = 0; // the networks' own validation NLL, averaged
  for (NetworkFit& network : networks) {
    fitted.members.push_back(network.model);
    fitted.result.stopped = fitted.result.stopped || network.result.stopped;
    val_nll += network.result.best_val_nll / static_cast<double>(networks.size());
  }
  const bool stopped = fitted.result.stopped;
  fitted.result = networks.front().result;
  fitted.result.stopped = stopped;
  to_data_units(fitted.result, p.units);
  if (candidates.size() == 1)
    fitted.candidates.emplace_back().val_nll = val_nll + p.units;
  OrderCandidate& kept = fitted.candidates[chosen];
  kept.components = model.components;
  kept.model = networks.front().model;
  kept.result = fitted.result;
  kept.best_epoch = fitted.result.best_epoch;

  if (!stopped) {
    std::vector<double> floor;
    for (double s : fitted.y_scale.std)
      floor.push_back(model.min_scale * s);
    fitted.warnings = collapse_warnings(fitted.mixture(p.x), p.y, floor, model.components,
                                        fitted.y_names, options.source);
  }
  return fitted;
}

Mixture FittedModel::mixture(const Tensor& x) const {
  if (x.dim() != 2 || x.size(1) != in_features())
    fail("FittedModel: inputs have shape {}, expected [rows, {}] (columns {})", x.shape(),
         in_features(), fmt::join(x_names, ","));
  NoGradGuard no_grad;
  const DType dtype = members.front()->parameters().front().dtype();
  const Tensor input = x_scale.apply(x.dtype() == dtype ? x : x.to(dtype));
  std::vector<Mixture> each;
  for (const std::shared_ptr<MDN>& member : members)
    each.push_back(member->mixture(input).detach());
  return y_scale.unstandardize(ensemble_mixture(each));
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
