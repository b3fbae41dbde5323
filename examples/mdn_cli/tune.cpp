// mdn tune: search the settings of mdn fit by cross-validated NLL (mdn::tune) and save the best
// model; every trial is one JSON line in --log.
#include "common/args.hpp"
#include "common/io.hpp"
#include "mdn_cli/commands.hpp"
#include "mdn_cli/processes.hpp"

#include <mdn/tune.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <cstdio>
#include <fstream>

namespace tapegrad::examples {

namespace {

// "60s", "2m", "1h" or a bare number of seconds.
double parse_duration(const std::string& text) {
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  const std::string unit = text.substr(used);
  const double scale = unit.empty() || unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : 0;
  if (used == 0 || scale == 0 || !(value > 0) || !std::isfinite(value))
    fail("mdn tune: '--budget {}': expected a positive duration such as 60s, 5m or 1h", text);
  return value * scale;
}

std::string trial_json(const mdn::TuneTrial& t) {
  return fmt::format(R"({{"trial": {}, "components": {}, "hidden": [{}], "lr": {}, )"
                     R"("noise_factor": {}, "weight_decay": {}, "cv_nll": {}, "cv_nll_se": {}, )"
                     R"("seconds": {}}})",
                     t.index, t.components, fmt::join(t.hidden, ", "), format_number(t.lr),
                     format_number(t.noise_factor), format_number(t.weight_decay),
                     std::isfinite(t.cv_nll) ? format_number(t.cv_nll) : "null",
                     format_number(t.cv_nll_se), format_number(t.seconds));
}

} // namespace

Args tune_args() {
  std::vector<Flag> flags = data_flags("training data, CSV with a header row");
  const std::vector<Flag> more{
      {"x", "A,B", "input columns (default: every column but the outputs)"},
      {"y", "C", "output column(s) (default: the last column)"},
      {"budget", "TIME", "stop starting trials after this long (60s, 5m, 1h)", "60s"},
      {"trials", "N", "run exactly N trials instead of a time budget"},
      {"folds", "N", "cross-validation folds per trial", "5"},
      {"steps", "N", "budget of Adam steps of every network (as mdn fit --steps)", "3000"},
      {"ensemble", "M", "networks of the final fit", "5"},
      {"seed", "N", "seed of the sequence of trials and of every fit", "1"},
      {"log", "FILE", "write each trial as one JSON line to FILE"},
      {"quiet", "", "no table of trials"},
      {"out", "FILE", "where to write the best model", "", true}};
  flags.insert(flags.end(), more.begin(), more.end());
  return Args(
      "mdn tune",
      "Searches the settings of mdn fit (components, hidden layers, learning rate, noise\n"
      "regularisation, weight decay) by the k-fold cross-validated NLL of each, then fits the\n"
      "best with an ensemble on all rows and saves it. Trial 0 is mdn fit's defaults; the others\n"
      "are a random sequence fixed by --seed, so a budget in time decides only how far along it\n"
      "the search gets (a faster machine tries more); --trials N makes the result reproducible.\n"
      "Under mpirun -np N, each trial's cross-validation networks are dealt out to the processes.",
      std::move(flags));
}

int tune_command(Args& args, const std::vector<std::string>& /*positional*/) {
  mdn::TuneOptions tune;
  if (args.given("trials")) {
    tune.trials = args.integer("trials", 1);
    tune.budget_seconds = 0;
  } else {
    tune.budget_seconds = parse_duration(args.text("budget"));
  }
  tune.seed = static_cast<std::uint64_t>(args.integer("seed", 0));
  mdn::FitOptions base;
  base.folds = args.integer("folds", 2);
  base.ensemble = args.integer("ensemble", 1);
  base.train.steps = args.integer("steps", 1);
  base.seed = tune.seed;
  base.communicator = processes();
  const std::string out = args.text("out");
  if (out == "-")
    fail("mdn tune: '--out -': a model cannot go to standard output; expected a file name");

  Table table = read_data(args);
  choose_columns(table, args.names("x"), args.names("y"), base.x_names, base.y_names);
  std::vector<std::string> used = base.x_names;
  used.insert(used.end(), base.y_names.begin(), base.y_names.end());
  use_columns(table, used, args);
  base.source = table.source;
  const bool lead = speaks(); // under mpirun, process 0 alone writes and prints
  std::ofstream log;
  if (args.given("log") && lead) {
    log.open(args.text("log"), std::ios::trunc);
    if (!log)
      fail("mdn tune: cannot write the log '{}'", args.text("log"));
  }
  const bool quiet = args.on("quiet") || !lead;
  if (!quiet)
    fmt::print("{:>5}  {:>3}  {:>12}  {:>9}  {:>5}  {:>7}  {:>16}  {:>7}\n", "trial", "K", "hidden",
               "lr", "noise", "decay", "CV NLL +- se", "seconds");
  tune.on_trial = [&](const mdn::TuneTrial& t) {
    if (log.is_open()) {
      log << trial_json(t) << '\n';
      log.flush(); // a search cut short keeps the lines of the trials it ended
    }
    if (!quiet) {
      fmt::print("{:>5}  {:>3}  {:>12}  {:>9.2e}  {:>5}  {:>7}  {:>8.4f} +- {:.4f}  {:>7.1f}\n",
                 t.index, t.components, fmt::format("{}", fmt::join(t.hidden, ",")), t.lr,
                 t.noise_factor, t.weight_decay, t.cv_nll, t.cv_nll_se, t.seconds);
      std::fflush(stdout);
    }
  };
  tune.on_final_fit = [&](const mdn::TuneTrial& t) {
    if (!quiet)
      fmt::print("best: trial {} (CV NLL {:.4f}); fitting it with {} network(s) on all {} rows\n",
                 t.index, t.cv_nll, base.ensemble, table.rows());
  };
  const mdn::TuneResult result =
      mdn::tune(table.matrix(base.x_names), table.matrix(base.y_names), base, tune);
  if (!lead)
    return 0;
  for (const std::string& warning : result.model.warnings)
    fmt::print(stderr, "warning: {}\n", warning);
  result.model.save(out);
  fmt::print("{} trials; the best, trial {}, scored a cross-validated NLL of {:.4f} nats per "
             "point; wrote {}\n",
             result.trials.size(), result.trials[result.best].index,
             result.trials[result.best].cv_nll, out);
  return 0;
}

} // namespace tapegrad::examples
