#pragma once
// The subcommands of `mdn`: one table (commands()) from which `mdn --help`, `mdn help CMD`, each
// command's --help, the man page (`mdn man`) and the bash completion (`mdn completion bash`) are
// all generated, so that they cannot disagree. Each command reads its flags from argv[2..]
// (after its positional words, for `help` and `completion`) and returns the exit status; user
// errors are thrown as tapegrad::Error and reported by main as one `error:` line, status 2.
#include "common/args.hpp"
#include "common/csv.hpp"

#include <mdn/fit.hpp>
#include <mdn/sequence_fit.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace tapegrad::examples {

struct Command {
  std::string name;
  std::string positional; // the words it takes before its flags, for the synopsis ("bash")
  std::string summary;    // one line for `mdn --help` and the man page
  Args (*flags)();        // its flags, with its longer description
  int (*run)(Args& args, const std::vector<std::string>& positional);
};

// Every subcommand, in the order `mdn --help` lists them.
const std::vector<Command>& commands();
// The command of that name, or an Error listing them.
const Command& find_command(std::string_view name);
// "mdn (tapegrad) 0.1.0"
std::string version_line();
// What `mdn --help` prints.
std::string main_usage();

Args fit_args();
Args eval_args();
Args predict_args();
Args sample_args();
Args plot_args();
Args report_args();
Args demo_args();
Args tune_args();
int fit_command(Args& args, const std::vector<std::string>& positional);
int eval_command(Args& args, const std::vector<std::string>& positional);
int predict_command(Args& args, const std::vector<std::string>& positional);
int sample_command(Args& args, const std::vector<std::string>& positional);
int plot_command(Args& args, const std::vector<std::string>& positional);
int report_command(Args& args, const std::vector<std::string>& positional);
int demo_command(Args& args, const std::vector<std::string>& positional);
int tune_command(Args& args, const std::vector<std::string>& positional);

// The generated documents: a man page in roff, and a bash completion script.
std::string man_page();
std::string bash_completion();

// --data FILE with the CSV flags every command that reads data shares: --delimiter, --drop-na.
std::vector<Flag> data_flags(const std::string& data_help);
// --data read as --delimiter says.
Table read_data(const Args& args);
// The named columns are the ones the command uses: with --drop-na, leaves out the rows with a
// missing value in them and says how many on standard error (an error when none is left); then
// fails naming the first cell of them, in the order of the file, that is not a number.
void use_columns(Table& table, const std::vector<std::string>& names, const Args& args);

// What `mdn fit` (and `mdn demo`) does once its flags are read: mdn::fit on the columns
// options.x_names and options.y_names of the table, with a progress display per candidate K
// (unless quiet) and, when log_path is not empty, one JSON line per epoch in that file. Checks
// the row counts that --val and --batch decide first, naming the flags.
mdn::FittedModel fit_table(const Table& table, mdn::FitOptions options, bool quiet,
                           const std::string& log_path = "");

// --x and --y resolved against a table: y defaults to the last column and x to all the others.
void choose_columns(const Table& table, const std::vector<std::string>& x,
                    const std::vector<std::string>& y, std::vector<std::string>& x_names,
                    std::vector<std::string>& y_names);

// Fails naming the data file, the model and the columns when the table lacks one of the model's
// input columns (or, with `outputs`, one of its output columns).
void require_model_columns(const Table& table, const mdn::FittedModel& model,
                           const std::string& model_path, bool outputs);

// The page `mdn report` writes (and `mdn demo` beside its pictures): one self-contained HTML file
// (inline SVG and CSS, nothing fetched) with the scores, the density or the marginals with data
// and samples, the calibration (PIT histogram, interval coverage) and the training curves.
struct ReportInputs {
  std::string model_path, data_name; // for the page's header
  Tensor x, y;                       // the data, raw: [N, in] and [N, out]
  std::uint64_t seed = 1;            // of the samples drawn for the pictures
};
std::string report_html(const mdn::FittedModel& model, const ReportInputs& inputs);

// Rows of a table grouped into sequences by the values of one column (mdn_cli/sequence.cpp): each
// sequence's id (that value) and its rows of the y columns [steps, columns], the sequences in the
// order their ids first appear, each one's rows in file order.
struct Sequences {
  std::vector<double> ids;
  std::vector<Tensor> series;
};
Sequences group_rows(const Table& table, const std::string& column,
                     const std::vector<std::string>& y_names);

// `mdn fit --sequence`, and `mdn eval` and `mdn sample` given a sequence model, once the flags
// are read.
int fit_sequence_command(const Args& args);
int eval_sequence_command(const Args& args, const mdn::FittedSequenceModel& model);
int sample_sequence_command(const Args& args, const mdn::FittedSequenceModel& model);

class Plot;
// The density picture of `mdn plot`, `mdn report` and `mdn demo` (one input, one output): heat
// map, data, component means and the mixture mean.
Plot model_picture(const std::string& title, const mdn::FittedModel& model, const Tensor& x,
                   const Tensor& y);

} // namespace tapegrad::examples
