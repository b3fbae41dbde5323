// time_series: a recurrent MDN on a noisy process whose next step is two-valued, against the two
// models one might try first.
//
// The process: a hidden oscillator y*_t = sin(2 pi t / P + phi), its period P (10 to 20 steps) and
// phase phi drawn for each sequence, seen through a switch that shifts each observation up or down
// by 0.5 at random, plus a little noise:
//
//   y_t = y*_t + 0.5 s_t + N(0, 0.08^2),   s_t = +1 or -1 with equal probability
//
// So p(y_t | y_<t) has two modes, 1 apart, around the oscillator's next value, which only a long
// look at the past pins down (each observation is off by +-0.5). Three models predict y_t from
// y_<t, and are scored on held-out sequences at the same steps (from step 5 on):
//
//   recurrent MDN       a GRU reads the whole past; 3 Gaussian components at every step
//   feed-forward MDN    an MLP reads the last 4 values (a fixed window); 3 components
//   recurrent Gaussian  the same GRU, one Gaussian: it knows the past but cannot be two-valued
#include "common/csv.hpp"
#include "common/example.hpp"
#include "common/figures.hpp"
#include "common/io.hpp"

#include <mdn/sequence_sampling.hpp>
#include <mdn/sequence_train.hpp>

#include <fmt/format.h>

#include <cmath>
#include <memory>
#include <numbers>

using namespace tapegrad;
using namespace tapegrad::examples;

namespace {

constexpr std::int64_t kLength = 100; // steps per sequence
constexpr std::int64_t kWindow = 4;   // the feed-forward model's view of the past
constexpr double kSwitch = 0.5, kNoise = 0.08;

// `count` sequences of the process, each [kLength, 1].
std::vector<Tensor> oscillators(std::int64_t count, std::uint64_t seed) {
  Generator gen(seed);
  std::vector<Tensor> out;
  for (std::int64_t i = 0; i < count; ++i) {
    const double period = 10 + 10 * gen.uniform(), phase = 2 * std::numbers::pi * gen.uniform();
    std::vector<double> y;
    for (std::int64_t t = 0; t < kLength; ++t) {
      const double shift = gen.uniform() < 0.5 ? -kSwitch : kSwitch;
      y.push_back(std::sin(2 * std::numbers::pi * static_cast<double>(t) / period + phase) + shift +
                  kNoise * gen.normal());
    }
    out.push_back(from_vector(y, {kLength, 1}, kFloat32));
  }
  return out;
}

// (y - mean) / std of every sequence.
std::vector<Tensor> standardised(const std::vector<Tensor>& series, const mdn::Standardizer& s) {
  std::vector<Tensor> out;
  for (const Tensor& y : series)
    out.push_back(s.apply(y));
  return out;
}

// The feed-forward model's rows: x = the kWindow values before step t, y = y_t, for t >= kWindow.
Dataset windows(const std::vector<Tensor>& series) {
  std::vector<double> x, y;
  for (const Tensor& s : series) {
    const std::vector<double> v = s.to_vector<double>();
    for (std::size_t t = kWindow; t < v.size(); ++t) {
      x.insert(x.end(), v.begin() + static_cast<std::ptrdiff_t>(t - kWindow),
               v.begin() + static_cast<std::ptrdiff_t>(t));
      y.push_back(v[t]);
    }
  }
  const auto rows = static_cast<std::int64_t>(y.size());
  return {from_vector(x, {rows, kWindow}, kFloat32), from_vector(y, {rows, 1}, kFloat32)};
}

// The recurrent model's mean NLL over steps t >= kWindow, in the data's units.
double recurrent_nll(const mdn::SequenceMDN& model, const mdn::SequenceData& data,
                     const mdn::Standardizer& scale) {
  const Tensor lp = mdn::sequence_log_prob(model, data).slice(1, kWindow, data.time());
  const double steps = static_cast<double>(data.size() * (data.time() - kWindow));
  return -lp.sum().item<double>() / steps + scale.log_scale_sum();
}

std::shared_ptr<mdn::SequenceMDN> train_recurrent(const mdn::SequenceData& train,
                                                  const mdn::SequenceData& val,
                                                  std::int64_t components, const ExampleRun& run,
                                                  mdn::TrainResult& result,
                                                  const std::string& label) {
  Generator gen(run.seed);
  auto model = std::make_shared<mdn::SequenceMDN>(mdn::SequenceMDNOptions{.in_features = 1,
                                                                          .out_dim = 1,
                                                                          .components = components,
                                                                          .rnn = mdn::RnnKind::GRU,
                                                                          .hidden = 32},
                                                  gen);
  mdn::SequenceTrainOptions options{.epochs = run.fast ? 6 : 150,
                                    .batch_size = 32,
                                    .bptt = 50,
                                    .lr = 0.005,
                                    .patience = 30,
                                    .seed = run.seed};
  options.on_epoch = [&](const mdn::EpochReport& r) {
    if (r.epoch % 25 == 0 || r.epoch == 1)
      fmt::print(stderr, "{}: epoch {}: train NLL {:.3f}, validation NLL {:.3f}\n", label, r.epoch,
                 r.train_nll, r.val_nll);
  };
  result = mdn::train_sequences(*model, train, val, options);
  return model;
}

// p(y_t | y_<t) of one sequence on a grid, as a heat map over (t, y), with the observations.
Plot density_over_time(const std::string& title, const std::vector<mdn::Mixture>& steps,
                       const std::vector<double>& observed, Range yr, std::int64_t first) {
  constexpr std::int64_t ny = 70;
  const auto nx = static_cast<std::int64_t>(observed.size());
  const std::vector<double> grid = cell_centres(yr, ny);
  const Tensor points = from_vector(grid, {ny, 1}, kFloat32);
  std::vector<double> density(static_cast<std::size_t>(nx * ny), 0.0);
  for (std::int64_t t = first; t < nx; ++t) {
    const std::vector<double> column =
        mdn::density_grid(steps[static_cast<std::size_t>(t)], 0, points).to_vector<double>();
    for (std::int64_t j = 0; j < ny; ++j)
      density[static_cast<std::size_t>(j * nx + t)] = column[static_cast<std::size_t>(j)];
  }
  Plot plot(title, "step t", "y", {0, static_cast<double>(nx)}, yr);
  plot.heatmap(density, nx, ny, "p(y_t | y_<t)");
  std::vector<double> ts;
  for (std::int64_t t = 0; t < nx; ++t)
    ts.push_back(static_cast<double>(t) + 0.5);
  plot.scatter(ts, observed, kBlue, "observed y_t", 2.2, 0.9);
  return plot;
}

// Several plots in one SVG file, one above the other.
void save_stacked(const std::string& path, const std::vector<Plot>& plots) {
  constexpr int width = 900, height = 460;
  std::string out = fmt::format(
      R"(<svg xmlns="http://www.w3.org/2000/svg" width="{0}" height="{1}" viewBox="0 0 {0} {1}">)",
      width, height * static_cast<int>(plots.size()));
  out += "\n";
  for (std::size_t i = 0; i < plots.size(); ++i) {
    std::string panel = plots[i].render();
    panel.replace(0, 4, fmt::format(R"(<svg x="0" y="{}")", static_cast<int>(i) * height));
    out += panel;
    if (out.back() != '\n')
      out += "\n";
  }
  write_file_atomic(path, out + "</svg>\n");
}

} // namespace

int main(int argc, char** argv) {
  return example_main(
      argc, argv, "time_series",
      "A recurrent MDN on a noisy oscillator whose next step is two-valued, against a "
      "feed-forward MDN on a window of 4 steps and a recurrent single Gaussian (held-out NLL).",
      [](const ExampleRun& run) {
        const std::int64_t n_train = run.fast ? 16 : 512, n_test = run.fast ? 8 : 256;
        const std::vector<Tensor> train_raw = oscillators(n_train, run.seed),
                                  val_raw = oscillators(n_test / 2, run.seed + 1),
                                  test_raw = oscillators(n_test, run.seed + 2);
        const mdn::Standardizer scale = mdn::Standardizer::fit(cat(train_raw, 0));
        const std::vector<Tensor> train = standardised(train_raw, scale),
                                  val = standardised(val_raw, scale),
                                  test = standardised(test_raw, scale);
        const mdn::SequenceData train_seq = mdn::autoregressive_sequences(train),
                                val_seq = mdn::autoregressive_sequences(val),
                                test_seq = mdn::autoregressive_sequences(test);

        mdn::TrainResult rnn_result, gauss_result;
        const auto rnn_model =
            train_recurrent(train_seq, val_seq, 3, run, rnn_result, "recurrent MDN");
        const auto gauss_model =
            train_recurrent(train_seq, val_seq, 1, run, gauss_result, "recurrent Gaussian");
        const mdn::SequenceMDN &rnn = *rnn_model, &gauss = *gauss_model;

        const Dataset train_w = windows(train), val_w = windows(val), test_w = windows(test);
        FitSettings settings;
        settings.model = {.components = 3, .hidden = {32, 32}};
        settings.train = {.epochs = run.fast ? 6 : 150,
                          .batch_size = 256,
                          .lr = 0.005,
                          .patience = 30,
                          .seed = run.seed};
        settings.seed = run.seed;
        settings.label = "feed-forward MDN";
        const mdn::FittedModel window = fit_mdn(train_w.x, train_w.y, val_w.x, val_w.y, settings);

        // Held-out NLL at steps 5..100 of every test sequence, in the data's units.
        const double nll_rnn = recurrent_nll(rnn, test_seq, scale);
        const double nll_gauss = recurrent_nll(gauss, test_seq, scale);
        const double nll_window = window.nll(test_w.x, test_w.y) + scale.log_scale_sum();
        fmt::print("held-out NLL per step (nats, data units), steps {} to {} of {} sequences:\n",
                   kWindow + 1, kLength, n_test);
        fmt::print("  recurrent MDN (GRU 32, K = 3)          {:.3f}\n", nll_rnn);
        fmt::print("  feed-forward MDN (window {}, K = 3)     {:.3f}\n", kWindow, nll_window);
        fmt::print("  recurrent single Gaussian (GRU 32)     {:.3f}\n", nll_gauss);
        const std::string dir = run.out.string() + "/";
        write_csv(dir + "nll.csv", {"recurrent_mdn", "window_mdn", "recurrent_gaussian"},
                  {{nll_rnn, nll_window, nll_gauss}});

        // The first test sequence as each model sees it, step by step.
        const std::vector<double> observed = test_raw.front().to_vector<double>();
        const Range yr = range_of(observed, 0.25);
        const auto per_step = [&](const mdn::SequenceMDN& model) {
          const mdn::SequenceData one = test_seq.select({0});
          const mdn::Mixture m = scale.unstandardize(model.mixtures(one.x).mixture);
          std::vector<mdn::Mixture> steps;
          for (std::int64_t t = 0; t < kLength; ++t)
            steps.push_back(mdn::Mixture(m.noise, m.log_pi.slice(0, t, t + 1),
                                         m.mean.slice(0, t, t + 1), m.scale.slice(0, t, t + 1)));
          return steps;
        };
        std::vector<mdn::Mixture> window_steps(static_cast<std::size_t>(kLength));
        const Tensor first_windows = windows({test.front()}).x;
        for (std::int64_t t = kWindow; t < kLength; ++t)
          window_steps[static_cast<std::size_t>(t)] = scale.unstandardize(
              window.mixture(first_windows.slice(0, t - kWindow, t - kWindow + 1)));
        Plot p_rnn = density_over_time(
            fmt::format("Recurrent MDN: p(y_t | y_<t), held-out NLL {:.3f}", nll_rnn),
            per_step(rnn), observed, yr, 0);
        Plot p_window = density_over_time(
            fmt::format("Feed-forward MDN on the last {} steps, held-out NLL {:.3f}", kWindow,
                        nll_window),
            window_steps, observed, yr, kWindow);
        Plot p_gauss = density_over_time(
            fmt::format("Recurrent single Gaussian, held-out NLL {:.3f}", nll_gauss),
            per_step(gauss), observed, yr, 0);
        save_stacked(dir + "density.svg", {p_rnn, p_window, p_gauss});

        // Continuations: the first 60 steps observed, then 40 drawn, five times.
        constexpr std::int64_t seen = 60, drawn = kLength - seen;
        const mdn::SequenceData prefix =
            mdn::autoregressive_sequences({test.front().slice(0, 0, seen)});
        Generator gen(run.seed + 1000);
        Plot samples("Recurrent MDN: five continuations after 60 observed steps", "step t", "y",
                     {0, static_cast<double>(kLength)}, yr);
        std::vector<double> ts, truth_t, truth;
        for (std::int64_t t = 0; t < kLength; ++t)
          (t < seen ? ts : truth_t).push_back(static_cast<double>(t) + 0.5);
        truth.assign(observed.begin() + seen, observed.end());
        samples.scatter(ts, std::vector<double>(observed.begin(), observed.begin() + seen), kBlue,
                        "observed", 2.2, 0.9);
        samples.scatter(truth_t, truth, kGrey, "what came next", 2.2, 0.6);
        std::vector<std::vector<double>> rows;
        for (int k = 0; k < 5; ++k) {
          const std::vector<double> y =
              scale.invert(mdn::continue_sequences(rnn, prefix, drawn, gen).y.reshape({drawn, 1}))
                  .to_vector<double>();
          samples.line(truth_t, y, series_colour(static_cast<std::size_t>(k) + 1),
                       k == 0 ? "drawn continuations" : "", 1.2);
          for (std::int64_t t = 0; t < drawn; ++t)
            rows.push_back({static_cast<double>(k), static_cast<double>(seen + t),
                            y[static_cast<std::size_t>(t)]});
        }
        samples.save(dir + "samples.svg");
        write_csv(dir + "samples.csv", {"draw", "t", "y"}, rows);

        rows.clear();
        for (std::int64_t t = 0; t < kLength; ++t)
          rows.push_back({static_cast<double>(t), observed[static_cast<std::size_t>(t)]});
        write_csv(dir + "data.csv", {"t", "y"}, rows);
        // train_sequences reports standardised NLLs; the plot's are in y's units.
        mdn::TrainResult in_data_units = rnn_result;
        for (mdn::EpochReport& r : in_data_units.history) {
          r.train_nll += scale.log_scale_sum();
          r.val_nll += scale.log_scale_sum();
        }
        in_data_units.best_val_nll += scale.log_scale_sum();
        loss_plot("Recurrent MDN: training and validation NLL per step", in_data_units)
            .save(dir + "loss.svg");
      });
}
