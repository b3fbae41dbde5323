#include "common/example.hpp"

#include "common/args.hpp"
#include "common/csv.hpp"
#include "common/figures.hpp"
#include "common/io.hpp"

#include <mdn/predictions.hpp>
#include <mdn/sampling.hpp>

#include <fmt/format.h>

#include <cstdio>

namespace tapegrad::examples {

int example_main(int argc, char** argv, const std::string& name, const std::string& summary,
                 const std::function<void(const ExampleRun&)>& body) {
  try {
    Args args(name, summary,
              {{"out", "DIR", "output directory for the CSV files and pictures", "out/" + name},
               {"seed", "N", "seed of the data and the models", "1"},
               {"fast", "", "a few epochs only (for tests; the pictures are not converged)"}});
    if (!args.parse(argc, argv, 1))
      return 0;
    ExampleRun run;
    run.out = args.text("out");
    run.seed = static_cast<std::uint64_t>(args.integer("seed", 0));
    run.fast = args.on("fast");
    ensure_directory(run.out);
    body(run);
    fmt::print("wrote the CSV files and pictures to {}/\n", run.out.string());
    return 0;
  } catch (const Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
}

void write_outputs_1d(const ExampleRun& run, const Dataset& train, const mdn::FittedModel& mdn,
                      const Outputs1D& what) {
  const std::string dir = run.out.string() + "/";
  const std::vector<double> xs = column(train.x), ys = column(train.y);
  std::vector<std::vector<double>> rows;
  for (std::size_t i = 0; i < xs.size(); ++i)
    rows.push_back({xs[i], ys[i]});
  write_csv(dir + "data.csv", {what.x_label, what.y_label}, rows);

  const MixtureOf mixture_of = [&](const Tensor& x) { return mdn.mixture(x); };
  Range xr = range_of(xs, 0.02), yr = range_of(ys, 0.08);
  if (what.equal_aspect)
    equal_aspect(xr, yr);
  constexpr std::int64_t grid_size = 200;
  const std::vector<double> grid = cell_centres(xr, grid_size);
  const Tensor grid_x = from_vector(grid, {grid_size, 1}, kFloat32);
  const mdn::Mixture on_grid = mdn.mixture(grid_x);
  const std::vector<double> mean = column(mdn::mixture_mean(on_grid));
  const std::vector<double> top = column(mdn::most_probable_mean(on_grid));
  const std::vector<double> mse =
      what.mse ? column(what.mse->predict(grid_x)) : std::vector<double>();
  rows.clear();
  for (std::size_t i = 0; i < grid.size(); ++i)
    rows.push_back(what.mse ? std::vector<double>{grid[i], mean[i], top[i], mse[i]}
                            : std::vector<double>{grid[i], mean[i], top[i]});
  std::vector<std::string> header{what.x_label, "mdn_mean", "mdn_most_probable"};
  if (what.mse)
    header.push_back("mse_net");
  write_csv(dir + "predictions.csv", header, rows);

  Plot density = density_plot(what.title + ": p(" + what.y_label + " | " + what.x_label + ")",
                              mixture_of, xr, yr, what.x_label, what.y_label);
  density.scatter(xs, ys, kBlue, "training data", 1.4, 0.3);
  add_component_means(density, mixture_of, xr);
  if (what.mse)
    density.line(grid, mse, kGreen, "squared-error net", 2.5);
  density.subtitle(fmt::format("MDN with {} components; circles: component means sized by "
                               "their weight",
                               mdn.options().components));
  density.save(dir + "density.svg");

  Generator gen(run.seed + 1000);
  const std::vector<double> drawn =
      column(mdn::sample(mdn.mixture(train.x), 1, gen).reshape({-1, 1}));
  rows.clear();
  for (std::size_t i = 0; i < xs.size(); ++i)
    rows.push_back({xs[i], drawn[i]});
  write_csv(dir + "samples.csv", {what.x_label, what.y_label}, rows);
  // The samples may reach beyond the data: the axes hold both.
  std::vector<double> both = ys;
  both.insert(both.end(), drawn.begin(), drawn.end());
  Range sample_yr = range_of(both, 0.05), sample_xr = xr;
  if (what.equal_aspect)
    equal_aspect(sample_xr, sample_yr);
  Plot samples(what.title + ": samples from the MDN", what.x_label, what.y_label, sample_xr,
               sample_yr);
  samples.scatter(xs, ys, kBlue, "training data", 1.4, 0.3);
  samples.scatter(xs, drawn, kRed, "one sample per x", 1.4, 0.5, Marker::Cross);
  samples.save(dir + "samples.svg");

  Plot loss = loss_plot(what.title + ": MDN training and validation NLL", mdn.result, what.y_label);
  loss.save(dir + "loss.svg");
}

} // namespace tapegrad::examples
