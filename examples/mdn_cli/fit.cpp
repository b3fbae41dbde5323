// mdn fit: train an MDN on columns of a CSV file and save it with its standardisation.
#include "common/args.hpp"
#include "common/fitting.hpp"
#include "common/io.hpp"
#include "mdn_cli/checkpoint.hpp"
#include "mdn_cli/commands.hpp"

#include <nn/data.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>

namespace tapegrad::examples {

namespace {

// Each name of a --x or --y list must be a column of the table, and appear once.
void check_names(const Table& table, const std::vector<std::string>& names, const char* flag) {
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (std::find(table.names.begin(), table.names.end(), names[i]) == table.names.end())
      fail("{}:{}: no column '{}' (named in {}); expected one of the header's columns: {}",
           table.source, table.header_line, names[i], flag, fmt::join(table.names, ", "));
    if (std::find(names.begin(), names.begin() + static_cast<std::ptrdiff_t>(i), names[i]) !=
        names.begin() + static_cast<std::ptrdiff_t>(i))
      fail("{}: {} names column '{}' twice; expected each column once", table.source, flag,
           names[i]);
  }
}

} // namespace

void choose_columns(const Table& table, const std::vector<std::string>& x,
                    const std::vector<std::string>& y, std::vector<std::string>& x_names,
                    std::vector<std::string>& y_names) {
  y_names = y.empty() ? std::vector<std::string>{table.names.back()} : y;
  check_names(table, y_names, "--y");
  if (x.empty()) {
    for (const std::string& name : table.names)
      if (std::find(y_names.begin(), y_names.end(), name) == y_names.end())
        x_names.push_back(name);
    if (x_names.empty())
      fail("{}: only the column(s) of y; expected at least one more column for the inputs",
           table.source);
  } else {
    x_names = x;
  }
  check_names(table, x_names, "--x");
  for (const std::string& name : x_names)
    if (std::find(y_names.begin(), y_names.end(), name) != y_names.end())
      fail("{}: column '{}' is named in both --x and --y; expected an input column to be no "
           "output column",
           table.source, name);
}

void require_model_columns(const Table& table, const SavedModel& saved,
                           const std::string& model_path, bool outputs) {
  std::vector<std::string> wanted = saved.x_names;
  if (outputs)
    wanted.insert(wanted.end(), saved.y_names.begin(), saved.y_names.end());
  for (const std::string& name : wanted)
    if (std::find(table.names.begin(), table.names.end(), name) == table.names.end())
      fail("{}:{}: no column '{}'; the model {} was trained on inputs {} and outputs {}, expected "
           "a header with {} (it has {})",
           table.source, table.header_line, name, model_path, fmt::join(saved.x_names, ","),
           fmt::join(saved.y_names, ","), outputs ? "those columns" : "its input columns",
           fmt::join(table.names, ", "));
}

namespace {

// Standardising divides each column by its spread: a column that never changes has none.
void check_not_constant(const Table& table, const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    const std::vector<double>& column = table.columns[table.index(name)];
    const auto [low, high] = std::minmax_element(column.begin(), column.end());
    if (*low == *high)
      fail("{}: column '{}' holds the same value ({}) in all {} rows; expected a column that "
           "varies (standardising divides by its spread)",
           table.source, name, *low, column.size());
  }
}

} // namespace

FitOutcome fit_table(const Table& table, const FitRequest& request) {
  check_not_constant(table, request.x_names);
  check_not_constant(table, request.y_names);
  const Tensor x = table.matrix(request.x_names), y = table.matrix(request.y_names);
  Tensor x_train = x, y_train = y, x_val, y_val;
  if (request.validation > 0) {
    // As nn::train_val_split counts, to name the file and the flag.
    const auto held_out = std::llround(request.validation * static_cast<double>(x.size(0)));
    if (held_out == 0 || held_out == x.size(0))
      fail("{}: {} rows, of which --val {} holds out {}; expected enough rows for a non-empty "
           "training and validation part (or --val 0)",
           table.source, x.size(0), request.validation, held_out);
    const nn::Split split = nn::train_val_split({x, y}, request.validation, request.seed);
    x_train = split.train[0], y_train = split.train[1];
    x_val = split.validation[0], y_val = split.validation[1];
  } else if (request.components.size() > 1) {
    fail("--components: choosing among {} values needs validation data; expected --val > 0",
         request.components.size());
  }
  if (x_train.size(0) < request.train.batch_size)
    fail("{}: {} training rows ({} rows less {} held out by --val {}), fewer than one batch of "
         "--batch {}; expected at least {} training rows or a smaller --batch",
         table.source, x_train.size(0), x.size(0), x_val.defined() ? x_val.size(0) : 0,
         request.validation, request.train.batch_size, request.train.batch_size);

  FitOutcome outcome;
  double best = INFINITY;
  for (std::int64_t k : request.components) {
    FitSettings settings;
    settings.model = request.model;
    settings.model.components = k;
    settings.train = request.train;
    settings.seed = request.seed;
    settings.label = fmt::format("K={}", k);
    settings.quiet = request.quiet;
    FittedMDN fitted = fit_mdn(x_train, y_train, x_val, y_val, settings);
    if (fitted.result.stopped) {
      outcome.stopped = true;
      return outcome;
    }
    SavedModel saved{fitted.model->options(), request.x_names, request.y_names,
                     fitted.x_scale,          fitted.y_scale,  fitted.model};
    // Validation NLL in the units of y, so that the table means something to the user.
    const double val_nll =
        x_val.defined() ? -saved.mixture(x_val).log_prob(y_val).mean().item<double>() : NAN;
    outcome.candidates.emplace_back(k, val_nll);
    if (!outcome.model.model || val_nll < best) {
      best = val_nll;
      outcome.model = saved;
      outcome.history = fitted.result.history;
    }
  }
  outcome.x_val = x_val;
  outcome.y_val = y_val;
  return outcome;
}

namespace {

Args fit_args() {
  return Args(
      "mdn fit",
      "Fits a mixture density network p(y | x) to columns of a CSV file (with a header row) and\n"
      "saves it, with the standardisation of x and y, to one model file. With several\n"
      "--components values it fits each and keeps the one with the best validation NLL.\n"
      "SIGINT (Ctrl-C) or SIGTERM stops training after the current epoch, saves the training\n"
      "state to the checkpoint and exits with status 130 or 143 without a model; --resume\n"
      "continues it and writes the model an uninterrupted run would have, bit for bit.",
      {{"data", "FILE", "training data, CSV with a header row (- reads standard input)", "", true},
       {"x", "A,B", "input columns (default: every column but the outputs)"},
       {"y", "C", "output column(s) (default: the last column)"},
       {"components", "K[,K...]", "mixture components; several: choose by validation NLL", "5"},
       {"noise", "MODEL", "full, diagonal, isotropic or fixed", "diagonal"},
       {"hidden", "N[,N...]", "hidden layer widths", "64,64"},
       {"activation", "NAME", "tanh or relu", "tanh"},
       {"epochs", "N", "training epochs", "300"},
       {"batch", "N", "mini-batch size", "128"},
       {"lr", "F", "Adam learning rate", "0.005"},
       {"val", "F", "share of rows held out for validation and early stopping", "0.1"},
       {"patience", "N", "stop after N epochs without a better validation NLL (0: never)", "50"},
       {"seed", "N", "seed of the weights, the split and the batches", "1"},
       {"quiet", "", "no progress display"},
       {"checkpoint", "FILE", "where to keep the training state (default: the --out file + .ckpt)"},
       {"checkpoint-every", "N",
        "save the training state every N epochs (0: only when stopped by "
        "SIGINT or SIGTERM)",
        "0"},
       {"resume", "FILE", "continue the run of this checkpoint (same data; its flags by default)"},
       {"out", "FILE", "where to write the model", "", true}});
}

// The flags that decide the model a run ends with: a checkpoint keeps them, and a resumed run
// takes them from it (a flag given again must say the same).
constexpr const char* kRunFlags[] = {"x",      "y",          "components", "noise",
                                     "hidden", "activation", "epochs",     "batch",
                                     "lr",     "val",        "patience",   "seed"};

// A flag's value as the run used it, in one spelling ("0.010" and "1e-2" are both "0.01").
std::string canonical(const FitRequest& r, std::string_view flag) {
  if (flag == "x")
    return fmt::format("{}", fmt::join(r.x_names, ","));
  if (flag == "y")
    return fmt::format("{}", fmt::join(r.y_names, ","));
  if (flag == "components")
    return fmt::format("{}", fmt::join(r.components, ","));
  if (flag == "noise")
    return std::string(mdn::noise_model_name(r.model.noise));
  if (flag == "hidden")
    return fmt::format("{}", fmt::join(r.model.hidden, ","));
  if (flag == "activation")
    return activation_name(r.model.activation);
  if (flag == "epochs")
    return fmt::format("{}", r.train.epochs);
  if (flag == "batch")
    return fmt::format("{}", r.train.batch_size);
  if (flag == "lr")
    return fmt::format("{}", r.train.lr);
  if (flag == "val")
    return fmt::format("{}", r.validation);
  if (flag == "patience")
    return fmt::format("{}", r.train.patience);
  return fmt::format("{}", r.seed);
}

// SIGINT and SIGTERM only set this flag; training looks at it after each epoch.
volatile std::sig_atomic_t g_stop_signal = 0;

extern "C" void record_stop_signal(int signal) {
  g_stop_signal = signal;
}

// Catches SIGINT and SIGTERM while it lives, and restores the previous handlers.
class StopSignals {
public:
  StopSignals() {
    g_stop_signal = 0;
    struct sigaction action {};
    action.sa_handler = record_stop_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART | SA_RESETHAND; // a second signal ends the process at once
    sigaction(SIGINT, &action, &old_int_);
    sigaction(SIGTERM, &action, &old_term_);
  }
  ~StopSignals() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

} // namespace

int fit_command(int argc, char** argv) {
  Args args = fit_args();
  if (!args.parse(argc, argv, 2))
    return 0;
  const std::string resume_path = args.given("resume") ? args.text("resume") : "";
  FitCheckpoint resumed;
  if (!resume_path.empty()) {
    resumed = load_fit_checkpoint(resume_path);
    for (const char* flag : kRunFlags) // the run's flags, unless given again
      if (!args.given(flag))
        args.set_default(flag, resumed.flag(flag, resume_path));
  }
  FitRequest request;
  request.components = args.integers("components", 1);
  request.model.noise = mdn::parse_noise_model(args.text("noise"));
  request.model.hidden = args.integers("hidden", 1);
  request.model.activation = parse_activation(args.text("activation"));
  request.train.epochs = args.integer("epochs", 1);
  request.train.batch_size = args.integer("batch", 1);
  request.train.lr = args.number("lr", 0, false);
  request.validation = args.number("val", 0);
  if (request.validation >= 1)
    fail("mdn fit: '--val {}': expected a fraction in [0, 1)", args.text("val"));
  request.train.patience = args.integer("patience", 0);
  request.seed = static_cast<std::uint64_t>(args.integer("seed", 0));
  request.train.seed = request.seed;
  request.train.checkpoint_every = args.integer("checkpoint-every", 0);
  request.quiet = args.on("quiet");
  const std::string out = args.text("out");
  if (out == "-")
    fail("mdn fit: '--out -': a model cannot go to standard output; expected a file name");
  const std::string checkpoint = args.given("checkpoint") ? args.text("checkpoint") : out + ".ckpt";
  if (checkpoint == out || checkpoint == "-")
    fail("mdn fit: '--checkpoint {}': expected a file other than --out and standard output",
         checkpoint);
  const bool single = request.components.size() == 1;
  if (!single && (request.train.checkpoint_every > 0 || !resume_path.empty()))
    fail("mdn fit: --checkpoint-every and --resume need one --components value; expected one "
         "instead of {}",
         args.text("components"));

  const Table table = read_csv(args.text("data"));
  choose_columns(table, args.names("x"), args.names("y"), request.x_names, request.y_names);
  std::vector<const std::vector<double>*> used;
  for (const auto* names : {&request.x_names, &request.y_names})
    for (const std::string& name : *names)
      used.push_back(&table.columns[table.index(name)]);
  FitCheckpoint state{{}, table.source, table.rows(), data_fingerprint(used), {}};
  for (const char* flag : kRunFlags)
    state.flags.emplace_back(flag, canonical(request, flag));
  if (!resume_path.empty()) {
    for (const auto& [flag, value] : state.flags)
      if (value != resumed.flag(flag, resume_path))
        fail("mdn fit: '--{} {}' differs from the run of {} (--{} {}); expected the same value, "
             "or none to take the checkpoint's",
             flag, value, resume_path, flag, resumed.flag(flag, resume_path));
    if (state.rows != resumed.rows || state.fingerprint != resumed.fingerprint)
      fail("{}: these {} rows are not the data the run of {} was trained on ({}, {} rows); "
           "expected the same data",
           table.source, state.rows, resume_path, resumed.data_file, resumed.rows);
    request.train.resume = resumed.train;
  }

  std::int64_t saved_epoch = 0;
  if (single)
    request.train.on_checkpoint = [&](const nn::StateDict& train_state) {
      state.train = train_state;
      save_fit_checkpoint(checkpoint, state);
      saved_epoch = train_state.find("epochs_done").item<std::int64_t>();
    };
  request.train.should_stop = [] { return g_stop_signal != 0; };
  FitOutcome outcome;
  {
    StopSignals signals;
    try {
      outcome = fit_table(table, request);
    } catch (const Error& e) {
      if (saved_epoch == 0)
        throw;
      fail("{}; the last good checkpoint, of epoch {}, stays in {}", e.what(), saved_epoch,
           checkpoint);
    }
  }
  if (outcome.stopped) {
    const int signal = g_stop_signal;
    const char* name = signal == SIGINT ? "SIGINT" : "SIGTERM";
    if (single)
      fmt::print(stderr,
                 "mdn fit: stopped by {} after epoch {}; saved the training state to {}; "
                 "continue with: mdn fit --resume {} --data {} --out {}{}\n",
                 name, saved_epoch, checkpoint, checkpoint, args.text("data"), out,
                 args.given("checkpoint") ? " --checkpoint " + checkpoint : "");
    else
      fmt::print(stderr,
                 "mdn fit: stopped by {}; nothing saved (checkpoints need one --components "
                 "value)\n",
                 name);
    return 128 + signal;
  }

  if (outcome.candidates.size() > 1) {
    fmt::print("{:>10}  {:>14}\n", "components", "val NLL");
    for (const auto& [k, nll] : outcome.candidates)
      fmt::print("{:>10}  {:>14.4f}{}\n", k, nll,
                 k == outcome.model.options.components ? "  <- kept" : "");
  }
  save_model(out, outcome.model);
  const auto& kept = outcome.model.options;
  fmt::print("fitted p({} | {}) with {} components ({} noise) on {} rows",
             fmt::join(request.y_names, ","), fmt::join(request.x_names, ","), kept.components,
             mdn::noise_model_name(kept.noise), table.rows());
  for (const auto& [k, nll] : outcome.candidates)
    if (k == kept.components && std::isfinite(nll))
      fmt::print("; validation NLL {:.4f} nats per point", nll);
  fmt::print("\nwrote {}\n", out);
  return 0;
}

} // namespace tapegrad::examples
