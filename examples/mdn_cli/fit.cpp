// mdn fit: train an MDN on columns of a CSV file (mdn::fit) and save it (FittedModel::save).
#include "common/args.hpp"
#include "common/json.hpp"
#include "mdn_cli/commands.hpp"
#include "mdn_cli/processes.hpp"

#include <mdn/model_file.hpp>
#include <nn/data.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <optional>

namespace tapegrad::examples {

Args fit_args() {
  std::vector<Flag> flags = data_flags("training data, CSV with a header row");
  const std::vector<Flag> more{
      {"x", "A,B", "input columns (default: every column but the outputs)"},
      {"y", "C", "output column(s) (default: the last column)"},
      {"components", "K[,K...]", "mixture components; several: choose by cross-validation", "10"},
      {"noise",
       "MODEL",
       "full, diagonal, isotropic or fixed (one output: full is diagonal)",
       "full",
       false,
       {"full", "diagonal", "isotropic", "fixed"}},
      {"hidden", "N[,N...]", "hidden layer widths", "64,64"},
      {"activation",
       "NAME",
       "relu, tanh, sigmoid, softplus, silu or elu",
       "tanh",
       false,
       {"relu", "tanh", "sigmoid", "softplus", "silu", "elu"}},
      {"steps", "N", "budget of Adam steps (warm-up, then cosine decay)", "3000"},
      {"epochs", "N", "a budget in epochs instead of --steps (auto: from --steps)", "auto"},
      {"batch", "N", "mini-batch size (auto: all rows up to 512, else 256)", "auto"},
      {"lr", "F", "Adam's peak learning rate", "0.003"},
      {"val", "F", "share of rows each network holds out for early stopping", "0.1"},
      {"patience", "N", "stop after N epochs without a better validation NLL (0: never)", "auto"},
      {"ensemble", "M", "networks from M seeds, their densities averaged", "5"},
      {"noise-reg", "F", "std of noise on standardised x, y in training (auto: rule of thumb)",
       "auto"},
      {"weight-decay", "F", "AdamW's decoupled weight decay (0: plain Adam)", "0"},
      {"folds", "N", "folds of the cross-validation that chooses among several --components", "5"},
      {"seed", "N", "seed of the weights, the split and the batches", "1"},
      {"quiet", "", "no progress display"},
      {"log", "FILE",
       "one JSON line per epoch: epoch, step, train and validation NLL, lr, seconds"},
      {"json", "", "print the summary as one JSON object"},
      {"checkpoint", "FILE", "where to keep the training state (default: the --out file + .ckpt)"},
      {"checkpoint-every", "N",
       "save the training state every N epochs (0: only when stopped by SIGINT or SIGTERM)", "0"},
      {"resume", "FILE", "continue the run of this checkpoint (same data; its flags by default)"},
      {"sequence", "COLUMN",
       "fit a recurrent MDN p(y_t | y_<t) to the sequences this column tells apart (rows in file "
       "order); --hidden N is then the recurrent layer's size (N,N stacks two)"},
      {"rnn",
       "NAME",
       "the recurrent layer with --sequence: gru or lstm",
       "gru",
       false,
       {"gru", "lstm"}},
      {"bptt", "N", "with --sequence: steps per chunk of truncated backpropagation through time",
       "100"},
      {"out", "FILE", "where to write the model", "", true}};
  flags.insert(flags.end(), more.begin(), more.end());
  return Args(
      "mdn fit",
      "Fits a mixture density network p(y | x) to columns of a CSV file (with a header row) and\n"
      "saves it, with the standardisation of x and y, to one model file. With several\n"
      "--components values, cross-validation chooses one (the fewest within one standard error\n"
      "of the best out-of-fold NLL) and prints the table. Warnings go to standard error.\n"
      "Every NLL it prints is in nats per point in the units of y. SIGINT (Ctrl-C) or SIGTERM\n"
      "stops training after the current epoch, saves the training state to the checkpoint and\n"
      "exits with status 130 or 143 without a model; --resume continues it and writes the model\n"
      "an uninterrupted run would have, bit for bit. Under mpirun -np N, the N processes share\n"
      "the training and write the model file one process would, byte for byte (a lost process\n"
      "ends the run at once; keep checkpoints with --checkpoint-every).",
      std::move(flags));
}

namespace {

// The fit's options from the flags (the columns are chosen later, from the data's header).
mdn::FitOptions fit_options(const Args& args) {
  mdn::FitOptions options;
  options.components = args.integers("components", 1);
  options.model.noise = mdn::parse_noise_model(args.text("noise"));
  options.model.hidden = args.integers("hidden", 1);
  options.model.activation = nn::parse_activation(args.text("activation"));
  options.train.steps = args.integer("steps", 1);
  options.train.epochs = args.text("epochs") == "auto" ? 0 : args.integer("epochs", 1);
  options.train.batch_size = args.text("batch") == "auto" ? 0 : args.integer("batch", 1);
  options.train.lr = args.number("lr", 0, false);
  options.ensemble = args.integer("ensemble", 1);
  if (args.text("noise-reg") != "auto")
    options.noise = args.number("noise-reg", 0);
  options.train.weight_decay = args.number("weight-decay", 0);
  options.folds = args.integer("folds", 2);
  options.validation = args.number("val", 0);
  if (options.validation >= 1)
    fail("mdn fit: '--val {}': expected a fraction in [0, 1)", args.text("val"));
  options.train.patience = args.text("patience") == "auto" ? -1 : args.integer("patience", 0);
  options.seed = static_cast<std::uint64_t>(args.integer("seed", 0));
  options.checkpoint_every = args.integer("checkpoint-every", 0);
  return options;
}

// A resumed run takes its flags from the checkpoint unless they are given again, and then they
// must say the same.
void take_checkpoint_flags(Args& args, const mdn::FitCheckpoint& resumed) {
  for (const auto& [flag, value] : mdn::fit_settings({}))
    if (!args.given(flag))
      args.set_default(flag, resumed.setting(flag));
}

void check_same_flags(const mdn::FitOptions& options, const mdn::FitCheckpoint& resumed) {
  for (const auto& [flag, value] : mdn::fit_settings(options))
    if (value != resumed.setting(flag))
      fail("mdn fit: '--{} {}' differs from the run of {} (--{} {}); expected the same value, "
           "or none to take the checkpoint's",
           flag, value, resumed.path, flag, resumed.setting(flag));
}

// SIGINT and SIGTERM only set this flag; training looks at it after each epoch.
volatile std::sig_atomic_t g_stop_signal = 0;

extern "C" void record_stop_signal(int signal) {
  g_stop_signal = signal;
}

// Catches SIGINT and SIGTERM while it lives, and restores the previous handlers. Under mpirun
// with several processes SIGTERM is how mpirun ends a run that lost a process
// (mdn_cli/processes.hpp): then only SIGINT is caught here.
class StopSignals {
public:
  explicit StopSignals(bool term) : term_(term) {
    g_stop_signal = 0;
    struct sigaction action {};
    action.sa_handler = record_stop_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART | SA_RESETHAND; // a second signal ends the process at once
    sigaction(SIGINT, &action, &old_int_);
    if (term_)
      sigaction(SIGTERM, &action, &old_term_);
  }
  ~StopSignals() {
    sigaction(SIGINT, &old_int_, nullptr);
    if (term_)
      sigaction(SIGTERM, &old_term_, nullptr);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

private:
  bool term_;
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

// The line a run stopped by a signal ends with, and its exit status: 128 + the signal's number.
int report_stopped(const mdn::FittedModel& fitted, const Args& args,
                   const std::string& checkpoint) {
  const int signal = g_stop_signal;
  const char* name = signal == SIGINT ? "SIGINT" : "SIGTERM";
  if (!checkpoint.empty())
    fmt::print(stderr,
               "mdn fit: stopped by {} after epoch {}, no model written; saved the training "
               "state to {}; continue with: mdn fit --resume {} --data {} --out {}{}{}{}\n",
               name, fitted.result.history.size(), checkpoint, checkpoint, args.text("data"),
               args.text("out"), args.given("checkpoint") ? " --checkpoint " + checkpoint : "",
               args.given("delimiter") ? " --delimiter '" + args.text("delimiter") + "'" : "",
               args.on("drop-na") ? " --drop-na" : "");
  else
    fmt::print(stderr,
               "mdn fit: stopped by {}; nothing saved (checkpoints need one --components value)\n",
               name);
  return 128 + signal;
}

// Why training ended, in a few words (the progress display says it at length).
std::string stop_reason(const mdn::FittedModel& fitted) {
  const auto& history = fitted.result.history;
  return !history.empty() && static_cast<std::int64_t>(history.size()) < history.back().epochs
             ? "early stopping"
             : "epoch budget";
}

// The candidates' table, when there were several, and the one-line summary.
void print_summary(const mdn::FittedModel& fitted, std::int64_t rows, std::int64_t folds,
                   const nn::Communicator& processes) {
  const std::int64_t kept = fitted.options().components;
  if (fitted.candidates.size() > 1) {
    fmt::print("{:>10}  {:>12}  {:>8}  {:>16}\n", "components", "CV NLL", "+- se", "excess +- se");
    for (const mdn::OrderCandidate& c : fitted.candidates)
      fmt::print("{:>10}  {:>12.4f}  {:>8.4f}  {:>7.4f} +- {:.4f}{}\n", c.components, c.val_nll,
                 c.val_nll_se, c.excess, c.excess_se, c.components == kept ? "  <- kept" : "");
    fmt::print("(out-of-fold NLL of {}-fold cross-validation, nats per point in the units of {}; "
               "kept: the fewest components within one standard error of the best)\n",
               folds, fmt::join(fitted.y_names, ","));
  }
  fmt::print("fitted p({} | {}) with {} components ({} noise) x {} network(s) on {} rows",
             fmt::join(fitted.y_names, ","), fmt::join(fitted.x_names, ","), kept,
             mdn::noise_model_name(fitted.options().noise), fitted.ensemble_size(), rows);
  if (fitted.candidates.size() == 1 && std::isfinite(fitted.candidates.front().val_nll))
    fmt::print("; validation NLL {:.4f} nats per point", fitted.candidates.front().val_nll);
  fmt::print("; kept epoch {} of {} ({})", fitted.result.best_epoch, fitted.result.history.size(),
             stop_reason(fitted));
  if (processes.size() > 1)
    fmt::print("; trained by {}", processes.name());
  fmt::print("\n");
}

std::string summary_json(const mdn::FittedModel& fitted, std::int64_t rows, const std::string& out,
                         const nn::Communicator& processes) {
  const auto names = [](const std::vector<std::string>& v) {
    std::vector<std::string> encoded;
    for (const std::string& name : v)
      encoded.push_back(json_string(name));
    return json_array(encoded);
  };
  std::vector<std::string> candidates;
  double val_nll = NAN;
  for (const mdn::OrderCandidate& c : fitted.candidates) {
    candidates.push_back(json_object({{"components", fmt::format("{}", c.components)},
                                      {"val_nll", json_number(c.val_nll)},
                                      {"best_epoch", fmt::format("{}", c.result.best_epoch)},
                                      {"epochs_run", fmt::format("{}", c.result.history.size())}}));
    if (c.components == fitted.options().components)
      val_nll = c.val_nll;
  }
  return json_object({{"model", json_string(out)},
                      {"rows", fmt::format("{}", rows)},
                      {"x", names(fitted.x_names)},
                      {"y", names(fitted.y_names)},
                      {"components", fmt::format("{}", fitted.options().components)},
                      {"noise", json_string(mdn::noise_model_name(fitted.options().noise))},
                      {"ensemble", fmt::format("{}", fitted.ensemble_size())},
                      {"val_nll", json_number(val_nll)},
                      {"nll_units", json_string("nats per point, in the units of y")},
                      {"epochs_run", fmt::format("{}", fitted.result.history.size())},
                      {"best_epoch", fmt::format("{}", fitted.result.best_epoch)},
                      {"stopped_by", json_string(stop_reason(fitted))},
                      {"candidates", json_array(candidates)},
                      {"processes", fmt::format("{}", processes.size())}});
}

} // namespace

int fit_command(Args& args, const std::vector<std::string>& /*positional*/) {
  const std::shared_ptr<nn::Communicator> world = processes();
  if (args.given("sequence")) {
    if (world->size() > 1)
      fail("mdn fit --sequence: recurrent models train on one process; expected no mpirun (or "
           "mpirun -np 1) for {}",
           world->name());
    return fit_sequence_command(args);
  }
  for (const char* flag : {"rnn", "bptt"})
    if (args.given(flag))
      fail("mdn fit: --{} needs --sequence COLUMN (a recurrent model of sequences); expected "
           "--sequence, or no --{}",
           flag, flag);
  const std::string resume_path = args.given("resume") ? args.text("resume") : "";
  std::optional<mdn::FitCheckpoint> resumed;
  if (!resume_path.empty()) {
    resumed = mdn::load_fit_checkpoint(resume_path);
    take_checkpoint_flags(args, *resumed);
  }
  mdn::FitOptions options = fit_options(args);
  const std::string out = args.text("out");
  if (out == "-")
    fail("mdn fit: '--out -': a model cannot go to standard output; expected a file name");
  const std::string checkpoint = args.given("checkpoint") ? args.text("checkpoint") : out + ".ckpt";
  if (checkpoint == out || checkpoint == "-")
    fail("mdn fit: '--checkpoint {}': expected a file other than --out and standard output",
         checkpoint);
  const std::string log = args.text("log");
  if (args.given("log") && (log.empty() || log == "-" || log == out || log == checkpoint))
    fail("mdn fit: '--log {}': expected a file name other than --out's and --checkpoint's", log);
  const bool single = options.components.size() == 1;
  if (!single && (options.checkpoint_every > 0 || resumed))
    fail("mdn fit: --checkpoint-every and --resume need one --components value; expected one "
         "instead of {}",
         args.text("components"));

  Table table = read_data(args);
  choose_columns(table, args.names("x"), args.names("y"), options.x_names, options.y_names);
  std::vector<std::string> used = options.x_names;
  used.insert(used.end(), options.y_names.begin(), options.y_names.end());
  use_columns(table, used, args);
  if (resumed)
    check_same_flags(options, *resumed);
  if (single) {
    options.checkpoint = checkpoint;
    name_checkpoint(checkpoint);
  }
  options.resume = resumed;
  options.train.should_stop = [] { return g_stop_signal != 0; };
  options.communicator = world;
  const bool lead = speaks(); // the others fit the same model, silently
  mdn::FittedModel fitted;
  {
    StopSignals signals(world->size() == 1);
    fitted = fit_table(table, options, args.on("quiet") || !lead, lead ? log : "");
  }
  if (!lead)
    return fitted.complete() ? 0 : 128 + SIGINT;
  if (!fitted.complete())
    return report_stopped(fitted, args, single ? checkpoint : "");
  fitted.save(out);
  for (const std::string& warning : fitted.warnings)
    fmt::print(stderr, "warning: {}\n", warning);
  if (args.on("json")) {
    fmt::print("{}\n", summary_json(fitted, table.rows(), out, *world));
    return 0;
  }
  print_summary(fitted, table.rows(), options.folds, *world);
  fmt::print("wrote {}\n", out);
  return 0;
}

} // namespace tapegrad::examples
