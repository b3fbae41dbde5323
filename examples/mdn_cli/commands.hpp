#pragma once
// The subcommands of `mdn`, each reading its own flags from argv[2..]. Each returns the exit
// status; user errors are thrown as tapegrad::Error and reported by main.
#include "common/csv.hpp"
#include "mdn_cli/model_file.hpp"

#include <mdn/train.hpp>

namespace tapegrad::examples {

int fit_command(int argc, char** argv);
int eval_command(int argc, char** argv);
int predict_command(int argc, char** argv);
int sample_command(int argc, char** argv);
int plot_command(int argc, char** argv);
int demo_command(int argc, char** argv);

// What `mdn fit` does once its flags are read; `mdn demo` runs the same.
struct FitRequest {
  std::vector<std::string> x_names, y_names;
  std::vector<std::int64_t> components;
  mdn::MDNOptions model;
  mdn::TrainOptions train;
  double validation = 0.1; // the share of rows held out for validation and early stopping
  std::uint64_t seed = 1;
  bool quiet = false;
};

struct FitOutcome {
  SavedModel model;
  std::vector<std::pair<std::int64_t, double>> candidates; // K and its validation NLL
  std::vector<mdn::EpochReport> history;                   // of the model kept
  Tensor x_val, y_val;                                     // undefined without validation
  bool stopped = false; // TrainOptions::should_stop stopped the training: no model
};

FitOutcome fit_table(const Table& table, const FitRequest& request);

// --x and --y resolved against a table: y defaults to the last column and x to all the others.
void choose_columns(const Table& table, const std::vector<std::string>& x,
                    const std::vector<std::string>& y, std::vector<std::string>& x_names,
                    std::vector<std::string>& y_names);

// Fails naming the data file, the model and the columns when the table lacks one of the model's
// input columns (or, with `outputs`, one of its output columns).
void require_model_columns(const Table& table, const SavedModel& saved,
                           const std::string& model_path, bool outputs);

} // namespace tapegrad::examples

namespace tapegrad::examples {
class Plot;
// The density picture of `mdn plot` (one input, one output): heat map, data, means.
Plot model_picture(const std::string& title, const SavedModel& saved, const Tensor& x,
                   const Tensor& y);
} // namespace tapegrad::examples
