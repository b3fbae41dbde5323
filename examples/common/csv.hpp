#pragma once
// CSV files of numbers with a header row, read and written by column name.
//
//   Table t = read_csv("train.csv");            // "-" reads standard input
//   Tensor x = t.matrix({"a", "b"});           // [rows, 2], float32
//   write_csv("pred.csv", {"mean", "std"}, rows);
//
// Every cell must be a finite number: a typo, an empty cell, NaN or Inf is an error naming the
// file, the line and the column (`data.csv:4:2:`, columns counted from 1), rather than a silent
// NaN in training.
#include <autograd/tensor.hpp>

#include <string>
#include <vector>

namespace tapegrad::examples {

struct Table {
  std::string source;                       // the file name, for messages
  std::vector<std::string> names;           // the header
  std::vector<std::vector<double>> columns; // columns[c][row]
  std::int64_t header_line = 1;             // the header's line number, for messages
  std::vector<std::int64_t> row_lines{};    // each row's line number, for messages (may be empty)

  std::int64_t rows() const {
    return columns.empty() ? 0 : static_cast<std::int64_t>(columns[0].size());
  }
  // The index of a column, or an error listing the columns there are.
  std::size_t index(const std::string& name) const;
  // The named columns side by side: [rows, names.size()]. A value beyond float32's range is an
  // error naming its line and column when dtype is float32, rather than a silent Inf.
  Tensor matrix(const std::vector<std::string>& names, DType dtype = kFloat32) const;
};

Table read_csv(const std::string& path);

// rows[r][c]; written atomically (see io.hpp), numbers in the fixed format of format_number.
void write_csv(const std::string& path, const std::vector<std::string>& header,
               const std::vector<std::vector<double>>& rows);

} // namespace tapegrad::examples
