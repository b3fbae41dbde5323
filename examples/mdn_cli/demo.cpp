// mdn demo: the whole job on Bishop's inverse problem, with nothing to download.
#include "common/args.hpp"
#include "common/csv.hpp"
#include "common/datasets.hpp"
#include "common/figures.hpp"
#include "common/io.hpp"
#include "common/json.hpp"
#include "mdn_cli/commands.hpp"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>

namespace tapegrad::examples {

Args demo_args() {
  return Args(
      "mdn demo",
      "Bishop's inverse problem: t ~ U(0,1), x = t + 0.3 sin(2 pi t) + U(-0.1,0.1); predict\n"
      "t from x, where one x has up to three answers. Writes the data, fits a 3-component\n"
      "MDN exactly as `mdn fit` does, scores it on fresh data and draws the pictures.",
      {{"out", "DIR", "output directory", "out/demo"},
       {"seed", "N", "seed of the data and the model", "1"},
       {"fast", "", "a few epochs only (for tests)"},
       {"json", "", "print the held-out scores as one JSON object"}});
}

int demo_command(Args& args, const std::vector<std::string>& /*positional*/) {
  const std::filesystem::path dir = args.text("out");
  const auto seed = static_cast<std::uint64_t>(args.integer("seed", 0));
  ensure_directory(dir);

  const Dataset train = bishop_inverse(1000, seed), heldout = bishop_inverse(5000, seed + 1);
  const Table table = Table::of_columns("bishop", {"x", "t"}, {column(train.x), column(train.y)});
  std::vector<std::vector<double>> data_rows;
  for (std::int64_t i = 0; i < table.rows(); ++i)
    data_rows.push_back({table.columns[0][static_cast<std::size_t>(i)],
                         table.columns[1][static_cast<std::size_t>(i)]});
  write_csv((dir / "data.csv").string(), table.names, data_rows);

  // The recipe of tests/mdn/bishop_test.cpp: two tanh layers of 20, K = 3, Adam at 0.01.
  mdn::FitOptions options;
  options.x_names = {"x"};
  options.y_names = {"t"};
  options.components = {3};
  options.model.hidden = {20, 20};
  options.train = {.epochs = args.on("fast") ? 40 : 1000, .batch_size = 250, .lr = 0.01};
  options.validation = 0.1;
  options.seed = seed;
  const bool json = args.on("json");
  if (!json)
    fmt::print("mdn demo: fitting p(t | x) on Bishop's inverse problem (1000 points, K = 3)\n");
  std::fflush(stdout); // before the progress display on standard error
  const mdn::FittedModel model = fit_table(table, options, false);
  model.save(dir / "model.tgm");

  const mdn::Metrics m = model.evaluate(heldout.x, heldout.y);
  if (!json)
    fmt::print("held-out ({} fresh points): NLL {:.3f} nats per point in the units of t (the true "
               "density scores about -1.29), RMSE of the mean {:.3f}, CRPS {:.4f}, 90% coverage "
               "{:.3f}\n",
               heldout.x.size(0), m.nll, m.rmse, m.crps.value_or(0), m.coverage90.value_or(0));

  Plot density = model_picture("Bishop's inverse problem: p(t | x) learned by a 3-component MDN",
                               model, train.x, train.y);
  density.subtitle(fmt::format("held-out NLL {:.3f} nats per point", m.nll));
  density.save((dir / "density.svg").string());
  loss_plot("Training and validation NLL", model.result, "t").save((dir / "loss.svg").string());

  // Samples at the inputs of the training data, as the generative check: they should look like it.
  Generator gen(seed + 2);
  const Tensor s = model.sample(train.x, 1, gen);
  const std::vector<double> xs = column(train.x), ts = column(s.reshape({-1, 1}));
  std::vector<double> both = column(train.y);
  both.insert(both.end(), ts.begin(), ts.end());
  Plot samples("Samples from the MDN at the training inputs", "x", "t", range_of(xs, 0.02),
               range_of(both, 0.05));
  samples.scatter(xs, column(train.y), kBlue, "data", 1.6, 0.35);
  samples.scatter(xs, ts, kRed, "samples, one per x", 1.6, 0.45, Marker::Cross);
  samples.save((dir / "samples.svg").string());
  std::vector<std::vector<double>> sample_rows;
  for (std::size_t i = 0; i < xs.size(); ++i)
    sample_rows.push_back({xs[i], ts[i]});
  write_csv((dir / "samples.csv").string(), {"x", "t"}, sample_rows);

  // The page `mdn report --model model.tgm --data heldout.csv` would write.
  write_file_atomic((dir / "report.html").string(),
                    report_html(model, {"model.tgm", // beside the page
                                        fmt::format("{} fresh points", heldout.x.size(0)),
                                        heldout.x, heldout.y, seed + 3}));

  if (json) {
    fmt::print("{}\n", json_object({{"heldout_rows", fmt::format("{}", heldout.x.size(0))},
                                    {"nll", json_number(m.nll)},
                                    {"rmse", json_number(m.rmse)},
                                    {"crps", json_number(m.crps.value_or(NAN))},
                                    {"coverage90", json_number(m.coverage90.value_or(NAN))},
                                    {"out", json_string(dir.string())}}));
    return 0;
  }
  fmt::print("wrote {0}/data.csv, model.tgm, samples.csv, the pictures {0}/density.svg, "
             "loss.svg, samples.svg and the report {0}/report.html\n",
             dir.string());
  return 0;
}

} // namespace tapegrad::examples
