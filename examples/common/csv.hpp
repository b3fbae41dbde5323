#pragma once
// CSV files of numbers with a header row, read and written by column name, as pandas and R write
// them (the records themselves: csv_records.hpp).
//
//   Table t = read_csv("train.csv");            // "-" reads standard input
//   t.drop_missing({"a", "b"});                 // only with --drop-na
//   Tensor x = t.matrix({"a", "b"});            // [rows, 2], float32
//   write_csv("pred.csv", {"mean", "std"}, rows);
//
// The rules, for the README:
// - the delimiter is ',', ';' or tab, whichever the header holds most (CsvOptions::delimiter
//   forces one); with ';' a decimal comma is read too (1,5 is 1.5), as Excel writes in much of
//   Europe and R's read.csv2 reads;
// - fields may be quoted ("0.5", "a,b", "say ""hi"""), a UTF-8 byte-order mark is dropped, and
//   names are UTF-8;
// - a first column without a name holds row names (R's write.csv and pandas' to_csv write one)
//   and is skipped;
// - an empty cell, NA, N/A, NaN, NULL or None is a missing value: in a column that is used it
//   is an error naming `file:line:column` (columns counted from 1), unless the rows holding one
//   are dropped (drop_missing, --drop-na);
// - any other cell of a column that is used must be a finite number: a typo, Inf or a number
//   beyond float32's range is an error naming where it is, rather than a silent NaN in training.
//   Columns that are not used may hold anything (text, dates).
#include <autograd/tensor.hpp>

#include <string>
#include <vector>

namespace tapegrad::examples {

struct CsvOptions {
  char delimiter = 0; // 0: detected from the header
};

// A cell that is not a number, kept for the message should its column be used.
struct OddCell {
  std::int64_t row = 0; // into Table::row_lines
  bool missing = false; // a missing value (NA, empty...) rather than text
  std::string text;
};

struct Table {
  std::string source;             // the file name, for messages
  std::vector<std::string> names; // the header (without a row-names column)
  // columns[c][row], NaN where the cell is not a number (its OddCell says what it held).
  std::vector<std::vector<double>> columns;
  std::vector<std::vector<OddCell>> odd;  // per column, in row order
  std::vector<std::int64_t> field_number; // per column, its place in the file (from 1)
  std::int64_t header_line = 1;           // the header's line number, for messages
  std::vector<std::int64_t> row_lines{};  // each row's line number, for messages
  std::vector<std::int64_t> kept{};       // the rows in use: all, until drop_missing
  char delimiter = ',';

  // A table of numbers made in memory (the demo's data).
  static Table of_columns(std::string source, std::vector<std::string> names,
                          std::vector<std::vector<double>> columns);

  std::int64_t rows() const { return static_cast<std::int64_t>(kept.size()); }
  // The index of a column, or an error listing the columns there are.
  std::size_t index(const std::string& name) const;
  // Leaves out the rows with a missing value in one of the named columns; returns how many.
  std::int64_t drop_missing(const std::vector<std::string>& names);
  // The line numbers of the first few rows drop_missing left out, for its note ("lines 4, 9").
  std::vector<std::int64_t> dropped_lines(std::size_t at_most) const;
  // An error naming the first cell (in the order of the file) of the named columns, over the
  // rows in use, that is missing or not a finite number.
  void require_numbers(const std::vector<std::string>& names) const;
  // The named columns side by side over the rows in use: [rows, names.size()]. A cell of them
  // that is not a number, is missing, or (for float32) is beyond float32's range is an error
  // naming its line and column.
  Tensor matrix(const std::vector<std::string>& names, DType dtype = kFloat32) const;
  // The row (counted from 0 among the file's data rows) of the i-th row in use.
  std::int64_t file_row(std::int64_t i) const { return kept[static_cast<std::size_t>(i)]; }
};

Table read_csv(const std::string& path, const CsvOptions& options = {});
// The same for text in memory; `source` names it in messages.
Table parse_csv(std::string_view text, const std::string& source, const CsvOptions& options = {});

// ",", ";", "tab" (or a tab character), or another single punctuation character, as --delimiter
// takes it; an Error naming the flag otherwise.
char parse_delimiter(const std::string& value);

// rows[r][c]; written atomically (see io.hpp), comma-separated, numbers in the fixed format of
// format_number, a name quoted when it holds a comma, a quote or a line break.
void write_csv(const std::string& path, const std::vector<std::string>& header,
               const std::vector<std::vector<double>>& rows);

} // namespace tapegrad::examples
