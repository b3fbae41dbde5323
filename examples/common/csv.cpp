#include "common/csv.hpp"

#include "common/io.hpp"

#include <autograd/error.hpp>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <limits>
#include <sstream>

namespace tapegrad::examples {

namespace {

std::string trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string_view::npos)
    return {};
  const auto last = s.find_last_not_of(" \t\r");
  return std::string(s.substr(first, last - first + 1));
}

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> cells;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = line.find(',', start);
    cells.push_back(trim(std::string_view(line).substr(start, comma - start)));
    if (comma == std::string::npos)
      return cells;
    start = comma + 1;
  }
}

std::string describe_source(const std::string& path) {
  return path == "-" ? std::string("<stdin>") : path;
}

} // namespace

std::size_t Table::index(const std::string& name) const {
  for (std::size_t c = 0; c < names.size(); ++c)
    if (names[c] == name)
      return c;
  std::string known;
  for (const std::string& n : names)
    known += (known.empty() ? "" : ", ") + n;
  fail("{}:{}: no column '{}'; expected one of the header's columns: {}", source, header_line, name,
       known);
}

Tensor Table::matrix(const std::vector<std::string>& wanted, DType dtype) const {
  const auto n = static_cast<std::size_t>(rows());
  std::vector<double> values(n * wanted.size());
  for (std::size_t c = 0; c < wanted.size(); ++c) {
    const std::size_t col = index(wanted[c]);
    const std::vector<double>& column = columns[col];
    for (std::size_t r = 0; r < n; ++r) {
      if (dtype == kFloat32 && std::abs(column[r]) > std::numeric_limits<float>::max())
        fail("{}:{}:{}: column '{}': {} is beyond float32's range; expected a magnitude below "
             "{:g}",
             source, r < row_lines.size() ? row_lines[r] : header_line + 1 + std::int64_t(r),
             col + 1, names[col], column[r], std::numeric_limits<float>::max());
      values[r * wanted.size() + c] = column[r];
    }
  }
  return from_vector(
      values, {static_cast<std::int64_t>(n), static_cast<std::int64_t>(wanted.size())}, dtype);
}

Table read_csv(const std::string& path) {
  std::ifstream file;
  std::istream* in = &std::cin;
  if (path != "-") {
    file.open(path);
    if (!file)
      fail("cannot read '{}': {}", path, std::strerror(errno));
    in = &file;
  }
  Table table;
  table.source = describe_source(path);
  std::string line;
  std::int64_t line_number = 0;
  // The header: the first line that is not blank.
  while (std::getline(*in, line)) {
    ++line_number;
    if (!trim(line).empty())
      break;
  }
  if (trim(line).empty())
    fail("{}:{}: the file is empty; expected a header row of column names", table.source,
         std::max<std::int64_t>(line_number, 1));
  table.header_line = line_number;
  table.names = split(line);
  for (std::size_t c = 0; c < table.names.size(); ++c) {
    if (table.names[c].empty())
      fail("{}:{}:{}: an empty column name in the header; expected a name", table.source,
           line_number, c + 1);
    for (std::size_t d = 0; d < c; ++d)
      if (table.names[d] == table.names[c])
        fail("{}:{}:{}: the column name '{}' appears twice in the header; expected distinct names",
             table.source, line_number, c + 1, table.names[c]);
  }
  table.columns.resize(table.names.size());
  while (std::getline(*in, line)) {
    ++line_number;
    if (trim(line).empty())
      continue;
    const std::vector<std::string> cells = split(line);
    if (cells.size() != table.names.size())
      fail("{}:{}:{}: {} cells, but the header names {} columns; expected {} comma-separated "
           "numbers",
           table.source, line_number, std::min(cells.size(), table.names.size()) + 1, cells.size(),
           table.names.size(), table.names.size());
    for (std::size_t c = 0; c < cells.size(); ++c) {
      const std::string& cell = cells[c];
      char* end = nullptr;
      const double value = std::strtod(cell.c_str(), &end);
      if (cell.empty() || end != cell.c_str() + cell.size())
        fail("{}:{}:{}: column '{}': '{}' is not a number; expected a finite decimal number",
             table.source, line_number, c + 1, table.names[c], cell);
      if (!std::isfinite(value))
        fail("{}:{}:{}: column '{}': '{}' is not a finite number; expected a finite decimal "
             "number",
             table.source, line_number, c + 1, table.names[c], cell);
      table.columns[c].push_back(value);
    }
    table.row_lines.push_back(line_number);
  }
  if (table.rows() == 0)
    fail("{}:{}: a header but no data rows; expected rows of numbers below the header",
         table.source, line_number + 1);
  return table;
}

void write_csv(const std::string& path, const std::vector<std::string>& header,
               const std::vector<std::vector<double>>& rows) {
  std::string out;
  for (std::size_t c = 0; c < header.size(); ++c)
    out += (c ? "," : "") + header[c];
  out += '\n';
  for (const std::vector<double>& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (c)
        out += ',';
      out += format_number(row[c]);
    }
    out += '\n';
  }
  write_file_atomic(path, out);
}

} // namespace tapegrad::examples
