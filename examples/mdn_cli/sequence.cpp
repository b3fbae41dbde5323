// The `mdn` subcommands on sequences: `mdn fit --sequence COLUMN` (mdn::fit_sequences), and
// `mdn eval` and `mdn sample --steps N` given a sequence model. The rows of a CSV file are grouped
// into sequences by the value of the sequence column, each keeping the rows' order in the file;
// the model is p(y_t | y_<t) over the --y columns.
#include "common/args.hpp"
#include "common/io.hpp"
#include "common/json.hpp"
#include "common/progress.hpp"
#include "mdn_cli/commands.hpp"

#include <mdn/sequence_file.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <map>

namespace tapegrad::examples {

Sequences group_rows(const Table& table, const std::string& column,
                     const std::vector<std::string>& y_names) {
  const std::vector<double>& ids = table.columns[table.index(column)];
  const Tensor y = table.matrix(y_names);
  std::vector<std::vector<std::int64_t>> rows_of;
  std::map<double, std::size_t> which;
  Sequences out;
  for (std::int64_t r = 0; r < table.rows(); ++r) {
    const double id = ids[static_cast<std::size_t>(r)];
    const auto [it, added] = which.try_emplace(id, rows_of.size());
    if (added) {
      rows_of.emplace_back();
      out.ids.push_back(id);
    }
    rows_of[it->second].push_back(r);
  }
  for (const std::vector<std::int64_t>& rows : rows_of)
    out.series.push_back(
        y.index_select(0, from_vector(rows, {static_cast<std::int64_t>(rows.size())})));
  return out;
}

int fit_sequence_command(const Args& args) {
  for (const char* flag : {"x", "activation", "resume", "checkpoint", "checkpoint-every", "log",
                           "json", "steps", "ensemble", "noise-reg", "weight-decay", "folds"})
    if (args.given(flag))
      fail("mdn fit: --{} does not apply with --sequence (a recurrent model of y_t given the steps "
           "before it, without checkpoints, logs or a JSON summary); expected it left out",
           flag);
  // The flags shared with a feed-forward fit keep the sequence model's own defaults
  // (mdn::SequenceFitOptions) unless they are given.
  mdn::SequenceFitOptions options;
  if (args.given("components")) {
    const std::vector<std::int64_t> components = args.integers("components", 1);
    if (components.size() != 1)
      fail("mdn fit: '--components {}' with --sequence: expected one number of components",
           args.text("components"));
    options.model.components = components.front();
  }
  if (args.given("noise"))
    options.model.noise = mdn::parse_noise_model(args.text("noise"));
  options.model.rnn = mdn::parse_rnn_kind(args.text("rnn"));
  // --hidden N is the recurrent layer's size; N,N,... stacks that many layers of it.
  const std::vector<std::int64_t> hidden =
      args.given("hidden") ? args.integers("hidden", 1) : std::vector<std::int64_t>{64};
  if (std::any_of(hidden.begin(), hidden.end(), [&](std::int64_t h) { return h != hidden[0]; }))
    fail("mdn fit: '--hidden {}' with --sequence: expected one size (or the same size repeated, "
         "one per stacked layer)",
         args.text("hidden"));
  options.model.hidden = hidden.front();
  options.model.layers = static_cast<std::int64_t>(hidden.size());
  if (args.given("epochs"))
    options.train.epochs = args.integer("epochs", 1);
  if (args.given("batch"))
    options.train.batch_size = args.integer("batch", 1);
  options.train.bptt = args.integer("bptt", 0);
  if (args.given("lr"))
    options.train.lr = args.number("lr", 0, false);
  if (args.given("patience"))
    options.train.patience = args.integer("patience", 0);
  options.train.seed = static_cast<std::uint64_t>(args.integer("seed", 0));
  options.validation = args.number("val", 0);
  if (options.validation >= 1)
    fail("mdn fit: '--val {}': expected a fraction in [0, 1)", args.text("val"));
  options.seed = options.train.seed;

  Table table = read_data(args);
  options.sequence_name = args.text("sequence");
  table.index(options.sequence_name); // an error naming the columns there are
  if (args.given("y")) {
    options.y_names = args.names("y");
  } else { // every column but the sequence column
    for (const std::string& name : table.names)
      if (name != options.sequence_name)
        options.y_names.push_back(name);
  }
  if (std::find(options.y_names.begin(), options.y_names.end(), options.sequence_name) !=
      options.y_names.end())
    fail("mdn fit: column '{}' is named in both --sequence and --y; expected the sequence column "
         "to be no output column",
         options.sequence_name);
  if (options.y_names.empty())
    fail("{}: only the sequence column '{}'; expected at least one more column to model",
         table.source, options.sequence_name);
  options.source = table.source;
  std::vector<std::string> used = options.y_names;
  used.push_back(options.sequence_name);
  use_columns(table, used, args);
  const Sequences data = group_rows(table, options.sequence_name, options.y_names);
  Progress progress({.label = args.text("rnn"),
                     .epochs = options.train.epochs,
                     .patience = options.train.patience,
                     .y_name = fmt::format("{}", fmt::join(options.y_names, ",")),
                     .quiet = args.on("quiet")});
  options.train.on_epoch = [&](const mdn::EpochReport& r) { progress.update(r); };
  const mdn::FittedSequenceModel fitted = mdn::fit_sequences(data.series, options);
  progress.finish(&fitted.result);
  const std::string out = args.text("out");
  fitted.save(out);
  fmt::print("fitted p(y_t | y_<t) of columns {} with a {} of {} ({} layer(s)) and {} components "
             "({} noise) on {} sequences of {} rows",
             fmt::join(fitted.y_names, ","), mdn::rnn_kind_name(options.model.rnn),
             options.model.hidden, options.model.layers, options.model.components,
             mdn::noise_model_name(options.model.noise), data.series.size(), table.rows());
  if (fitted.result.best_epoch > 0 && std::isfinite(fitted.result.best_val_nll))
    fmt::print("; validation NLL {:.4f} nats per step", fitted.result.best_val_nll);
  fmt::print("\nwrote {}\n", out);
  return 0;
}

namespace {

// The sequences of the table under the model's columns, with an error naming what is missing.
Sequences model_sequences(Table& table, const mdn::FittedSequenceModel& model, const Args& args) {
  const std::string model_path = args.text("model");
  std::vector<std::string> wanted = model.y_names;
  wanted.push_back(model.sequence_name);
  for (const std::string& name : wanted)
    if (std::find(table.names.begin(), table.names.end(), name) == table.names.end())
      fail("{}:{}: no column '{}'; the sequence model {} was trained on columns {} grouped by "
           "'{}', expected a header with those columns (it has {})",
           table.source, table.header_line, name, model_path, fmt::join(model.y_names, ","),
           model.sequence_name, fmt::join(table.names, ", "));
  use_columns(table, wanted, args);
  return group_rows(table, model.sequence_name, model.y_names);
}

} // namespace

int eval_sequence_command(const Args& args, const mdn::FittedSequenceModel& model) {
  Table table = read_data(args);
  const Sequences data = model_sequences(table, model, args);
  const std::vector<std::vector<double>> per_step = model.step_nll(data.series);
  double total = 0;
  std::int64_t steps = 0;
  for (const std::vector<double>& s : per_step)
    for (double v : s) {
      total += v;
      ++steps;
    }
  const double nll = total / static_cast<double>(steps);
  if (args.on("json")) {
    fmt::print("{}\n", json_object({{"sequences", fmt::format("{}", data.series.size())},
                                    {"steps", fmt::format("{}", steps)},
                                    {"nll", json_number(nll)}}));
    return 0;
  }
  fmt::print("sequences   {}\n", data.series.size());
  fmt::print("steps       {}\n", steps);
  fmt::print("NLL         {:.4f} nats per step (of p(y_t | y_<t), in the data's units)\n", nll);
  return 0;
}

int sample_sequence_command(const Args& args, const mdn::FittedSequenceModel& model) {
  if (!args.given("steps"))
    fail("mdn sample: {} is a sequence model; expected --steps N, the number of steps to draw "
         "after each sequence of the data",
         args.text("model"));
  const std::int64_t steps = args.integer("steps", 1), count = args.integer("n", 1);
  const mdn::SampleOptions options{args.number("temperature", 0),
                                   args.number("sigma-temperature", 0)};
  Generator gen(static_cast<std::uint64_t>(args.integer("seed", 0)));
  Table table = read_data(args);
  const Sequences data = model_sequences(table, model, args);
  std::vector<std::vector<Tensor>> drawn; // [sample][sequence]: [steps, D]
  for (std::int64_t j = 0; j < count; ++j)
    drawn.push_back(model.continue_sequences(data.series, steps, gen, options));
  const auto d = static_cast<std::size_t>(model.out_dim());
  std::vector<std::vector<double>> rows;
  for (std::size_t b = 0; b < data.series.size(); ++b)
    for (std::size_t j = 0; j < drawn.size(); ++j) {
      const std::vector<double> y = drawn[j][b].to_vector<double>();
      const auto first = static_cast<double>(data.series[b].size(0)); // steps counted from 0
      for (std::int64_t t = 0; t < steps; ++t) {
        std::vector<double> row{data.ids[b], static_cast<double>(j),
                                first + static_cast<double>(t)};
        for (std::size_t i = 0; i < d; ++i)
          row.push_back(y[static_cast<std::size_t>(t) * d + i]);
        rows.push_back(std::move(row));
      }
    }
  std::vector<std::string> header{model.sequence_name, "sample", "step"};
  header.insert(header.end(), model.y_names.begin(), model.y_names.end());
  write_csv(args.text("out"), header, rows);
  return 0;
}

} // namespace tapegrad::examples
