// mdn fit: train an MDN on columns of a CSV file (mdn::fit) and save it (FittedModel::save).
#include "common/args.hpp"
#include "common/progress.hpp"
#include "mdn_cli/commands.hpp"

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
  x_names.clear();
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

void require_model_columns(const Table& table, const mdn::FittedModel& model,
                           const std::string& model_path, bool outputs) {
  std::vector<std::string> wanted = model.x_names;
  if (outputs)
    wanted.insert(wanted.end(), model.y_names.begin(), model.y_names.end());
  for (const std::string& name : wanted)
    if (std::find(table.names.begin(), table.names.end(), name) == table.names.end())
      fail("{}:{}: no column '{}'; the model {} was trained on inputs {} and outputs {}, expected "
           "a header with {} (it has {})",
           table.source, table.header_line, name, model_path, fmt::join(model.x_names, ","),
           fmt::join(model.y_names, ","), outputs ? "those columns" : "its input columns",
           fmt::join(table.names, ", "));
}

mdn::FittedModel fit_table(const Table& table, mdn::FitOptions options, bool quiet) {
  const Tensor x = table.matrix(options.x_names), y = table.matrix(options.y_names);
  // The two row counts the flags decide, checked here so that the message names the flags.
  const std::int64_t rows = table.rows();
  const std::int64_t held_out =
      options.validation > 0 ? nn::validation_rows(rows, options.validation) : 0;
  if (options.validation > 0 && (held_out == 0 || held_out == rows))
    fail("{}: {} rows, of which --val {} holds out {}; expected enough rows for a non-empty "
         "training and validation part (or --val 0)",
         table.source, rows, options.validation, held_out);
  if (rows - held_out < options.train.batch_size)
    fail("{}: {} training rows ({} rows less {} held out by --val {}), fewer than one batch of "
         "--batch {}; expected at least {} training rows or a smaller --batch",
         table.source, rows - held_out, rows, held_out, options.validation,
         options.train.batch_size, options.train.batch_size);

  options.source = table.source;
  std::optional<Progress> progress; // one per candidate K
  options.on_candidate = [&](std::int64_t k) {
    if (progress)
      progress->finish();
    progress.emplace(fmt::format("K={}", k), options.train.epochs, quiet);
  };
  options.train.on_epoch = [&](const mdn::EpochReport& r) { progress->update(r); };
  mdn::FittedModel fitted = mdn::fit(x, y, options);
  if (progress)
    progress->finish();
  return fitted;
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
       {"activation", "NAME", "relu, tanh, sigmoid, softplus, silu or elu", "tanh"},
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
       {"sequence", "COLUMN",
        "fit a recurrent MDN p(y_t | y_<t) to the sequences this column tells apart (rows in "
        "file order); --hidden N is then the recurrent layer's size (N,N stacks two)"},
       {"rnn", "gru|lstm", "the recurrent layer, with --sequence", "gru"},
       {"bptt", "N", "with --sequence: steps per chunk of truncated backpropagation through time",
        "100"},
       {"out", "FILE", "where to write the model", "", true}});
}

// The fit's options from the flags (the columns are chosen later, from the data's header).
mdn::FitOptions fit_options(const Args& args) {
  mdn::FitOptions options;
  options.components = args.integers("components", 1);
  options.model.noise = mdn::parse_noise_model(args.text("noise"));
  options.model.hidden = args.integers("hidden", 1);
  options.model.activation = nn::parse_activation(args.text("activation"));
  options.train.epochs = args.integer("epochs", 1);
  options.train.batch_size = args.integer("batch", 1);
  options.train.lr = args.number("lr", 0, false);
  options.validation = args.number("val", 0);
  if (options.validation >= 1)
    fail("mdn fit: '--val {}': expected a fraction in [0, 1)", args.text("val"));
  options.train.patience = args.integer("patience", 0);
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

// The line a run stopped by a signal ends with, and its exit status: 128 + the signal's number.
int report_stopped(const mdn::FittedModel& fitted, const Args& args,
                   const std::string& checkpoint) {
  const int signal = g_stop_signal;
  const char* name = signal == SIGINT ? "SIGINT" : "SIGTERM";
  if (!checkpoint.empty())
    fmt::print(stderr,
               "mdn fit: stopped by {} after epoch {}; saved the training state to {}; continue "
               "with: mdn fit --resume {} --data {} --out {}{}\n",
               name, fitted.result.history.size(), checkpoint, checkpoint, args.text("data"),
               args.text("out"), args.given("checkpoint") ? " --checkpoint " + checkpoint : "");
  else
    fmt::print(stderr,
               "mdn fit: stopped by {}; nothing saved (checkpoints need one --components value)\n",
               name);
  return 128 + signal;
}

// The candidates' table, when there were several, and the one-line summary.
void print_summary(const mdn::FittedModel& fitted, std::int64_t rows) {
  const std::int64_t kept = fitted.options().components;
  if (fitted.candidates.size() > 1) {
    fmt::print("{:>10}  {:>14}\n", "components", "val NLL");
    for (const mdn::OrderCandidate& c : fitted.candidates)
      fmt::print("{:>10}  {:>14.4f}{}\n", c.components, c.val_nll,
                 c.components == kept ? "  <- kept" : "");
  }
  fmt::print("fitted p({} | {}) with {} components ({} noise) on {} rows",
             fmt::join(fitted.y_names, ","), fmt::join(fitted.x_names, ","), kept,
             mdn::noise_model_name(fitted.options().noise), rows);
  for (const mdn::OrderCandidate& c : fitted.candidates)
    if (c.components == kept && std::isfinite(c.val_nll))
      fmt::print("; validation NLL {:.4f} nats per point", c.val_nll);
  fmt::print("\n");
}

} // namespace

int fit_command(int argc, char** argv) {
  Args args = fit_args();
  if (!args.parse(argc, argv, 2))
    return 0;
  if (args.given("sequence"))
    return fit_sequence_command(args);
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
  const bool single = options.components.size() == 1;
  if (!single && (options.checkpoint_every > 0 || resumed))
    fail("mdn fit: --checkpoint-every and --resume need one --components value; expected one "
         "instead of {}",
         args.text("components"));

  const Table table = read_csv(args.text("data"));
  choose_columns(table, args.names("x"), args.names("y"), options.x_names, options.y_names);
  if (resumed)
    check_same_flags(options, *resumed);
  if (single)
    options.checkpoint = checkpoint;
  options.resume = resumed;
  options.train.should_stop = [] { return g_stop_signal != 0; };
  mdn::FittedModel fitted;
  {
    StopSignals signals;
    fitted = fit_table(table, options, args.on("quiet"));
  }
  if (!fitted.complete())
    return report_stopped(fitted, args, single ? checkpoint : "");
  fitted.save(out);
  print_summary(fitted, table.rows());
  fmt::print("wrote {}\n", out);
  return 0;
}

} // namespace tapegrad::examples
