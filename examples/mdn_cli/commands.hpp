#pragma once
// The subcommands of `mdn`, each reading its own flags from argv[2..]. Each returns the exit
// status; user errors are thrown as tapegrad::Error and reported by main.
#include "common/csv.hpp"

#include <mdn/fit.hpp>
#include <mdn/sequence_fit.hpp>

namespace tapegrad::examples {

int fit_command(int argc, char** argv);
int eval_command(int argc, char** argv);
int predict_command(int argc, char** argv);
int sample_command(int argc, char** argv);
int plot_command(int argc, char** argv);
int demo_command(int argc, char** argv);

// What `mdn fit` (and `mdn demo`) does once its flags are read: mdn::fit on the columns
// options.x_names and options.y_names of the table, with a progress display per candidate K
// (unless quiet). Checks the row counts that --val and --batch decide first, naming the flags.
mdn::FittedModel fit_table(const Table& table, mdn::FitOptions options, bool quiet);

// --x and --y resolved against a table: y defaults to the last column and x to all the others.
void choose_columns(const Table& table, const std::vector<std::string>& x,
                    const std::vector<std::string>& y, std::vector<std::string>& x_names,
                    std::vector<std::string>& y_names);

// Fails naming the data file, the model and the columns when the table lacks one of the model's
// input columns (or, with `outputs`, one of its output columns).
void require_model_columns(const Table& table, const mdn::FittedModel& model,
                           const std::string& model_path, bool outputs);

// Rows of a table grouped into sequences by the values of one column (mdn_cli/sequence.cpp): each
// sequence's id (that value) and its rows of the y columns [steps, columns], the sequences in the
// order their ids first appear, each one's rows in file order.
struct Sequences {
  std::vector<double> ids;
  std::vector<Tensor> series;
};
Sequences group_rows(const Table& table, const std::string& column,
                     const std::vector<std::string>& y_names);

class Args;
// `mdn fit --sequence`, and `mdn eval` and `mdn sample` given a sequence model, once the flags
// are read.
int fit_sequence_command(const Args& args);
int eval_sequence_command(const Args& args, const mdn::FittedSequenceModel& model);
int sample_sequence_command(const Args& args, const mdn::FittedSequenceModel& model);

class Plot;
// The density picture of `mdn plot` and `mdn demo` (one input, one output): heat map, data, means.
Plot model_picture(const std::string& title, const mdn::FittedModel& model, const Tensor& x,
                   const Tensor& y);

} // namespace tapegrad::examples
