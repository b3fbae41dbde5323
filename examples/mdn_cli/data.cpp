// The data side every subcommand shares: --data with its CSV flags, --drop-na, and the columns.
#include "mdn_cli/commands.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

namespace tapegrad::examples {

std::vector<Flag> data_flags(const std::string& data_help) {
  return {{"data", "FILE", data_help + " (- reads standard input)", "", true},
          {"delimiter",
           "C",
           "the CSV delimiter: ',', ';', 'tab' or another character (default: detected from the "
           "header)",
           "",
           false,
           {",", ";", "tab"}},
          {"drop-na", "",
           "skip the rows with a missing value (empty, NA, NaN...) in a column used, and say "
           "how many (default: an error naming the first)"}};
}

Table read_data(const Args& args) {
  CsvOptions options;
  if (args.given("delimiter"))
    options.delimiter = parse_delimiter(args.text("delimiter"));
  return read_csv(args.text("data"), options);
}

void use_columns(Table& table, const std::vector<std::string>& names, const Args& args) {
  const std::int64_t before = table.rows();
  const std::int64_t dropped = args.on("drop-na") ? table.drop_missing(names) : 0;
  if (table.rows() == 0)
    fail("{}: all {} rows have a missing value in the columns used ({}); expected some rows with "
         "numbers in every one",
         table.source, before, fmt::join(names, ", "));
  table.require_numbers(names);
  // Said once the data are known to be good, so that bad data still gets one line: its error.
  if (dropped == 0)
    return;
  const std::vector<std::int64_t> lines = table.dropped_lines(5);
  fmt::print(
      stderr, "{}: --drop-na skipped {} of {} rows with a missing value in {} (line{} {}{})\n",
      args.program(), dropped, before, fmt::join(names, ", "), dropped > 1 ? "s" : "",
      fmt::join(lines, ", "), dropped > static_cast<std::int64_t>(lines.size()) ? ", ..." : "");
}

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

} // namespace tapegrad::examples
