#include "common/csv.hpp"

#include "common/csv_records.hpp"
#include "common/io.hpp"

#include <autograd/error.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <limits>
#include <optional>
#include <sstream>

namespace tapegrad::examples {

namespace {

// The markers pandas and R write (or read) for a value that is not there.
bool is_missing(const std::string& cell) {
  static constexpr std::array<std::string_view, 14> markers{"",     "NA",   "N/A",  "n/a",  "NaN",
                                                            "nan",  "-nan", "-NaN", "NULL", "null",
                                                            "None", "#N/A", "<NA>", "#NA"};
  return std::find(markers.begin(), markers.end(), cell) != markers.end();
}

// A finite number, or nothing. With ';' as the delimiter a decimal comma is read as a point.
std::optional<double> parse_number(std::string cell, char delimiter) {
  if (delimiter == ';' && cell.find('.') == std::string::npos)
    std::replace(cell.begin(), cell.end(), ',', '.');
  // A quoted " 0.5 " is still 0.5, as in pandas.
  const auto first = cell.find_first_not_of(" \t");
  if (first == std::string::npos)
    return std::nullopt;
  cell = cell.substr(first, cell.find_last_not_of(" \t") - first + 1);
  char* end = nullptr;
  const double value = std::strtod(cell.c_str(), &end);
  if (end != cell.c_str() + cell.size())
    return std::nullopt;
  return value;
}

// Names travel into JSON, SVG and the model file: they must be UTF-8 text on one line.
bool valid_name(std::string_view name) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(name[i]); };
  for (std::size_t i = 0; i < name.size();) {
    const unsigned char c = byte(i);
    if (c < 0x20 || c == 0x7f)
      return false;
    if (c < 0x80) {
      ++i;
      continue;
    }
    // The length of the sequence, and the range of its second byte (no overlong forms, no
    // surrogates, nothing above U+10FFFF), as the Unicode standard's table 3-7.
    std::size_t length = 0;
    unsigned char lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf)
      length = 2;
    else if (c >= 0xe0 && c <= 0xef)
      length = 3, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
    else if (c >= 0xf0 && c <= 0xf4)
      length = 4, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
    else
      return false;
    if (i + length > name.size() || byte(i + 1) < lo || byte(i + 1) > hi)
      return false;
    for (std::size_t k = 2; k < length; ++k)
      if ((byte(i + k) & 0xc0) != 0x80)
        return false;
    i += length;
  }
  return true;
}

std::string describe_source(const std::string& path) {
  return path == "-" ? std::string("<stdin>") : path;
}

std::string read_all(const std::string& path) {
  if (path == "-")
    return std::string(std::istreambuf_iterator<char>(std::cin), {});
  std::ifstream file(path, std::ios::binary);
  if (!file)
    fail("cannot read '{}': {}", path, std::strerror(errno));
  std::stringstream s;
  s << file.rdbuf();
  return s.str();
}

} // namespace

Table Table::of_columns(std::string source, std::vector<std::string> names,
                        std::vector<std::vector<double>> columns) {
  Table t;
  t.source = std::move(source);
  t.names = std::move(names);
  t.columns = std::move(columns);
  t.odd.resize(t.names.size());
  for (std::size_t c = 0; c < t.names.size(); ++c)
    t.field_number.push_back(static_cast<std::int64_t>(c) + 1);
  const std::size_t n = t.columns.empty() ? 0 : t.columns[0].size();
  for (std::size_t r = 0; r < n; ++r) {
    t.row_lines.push_back(static_cast<std::int64_t>(r) + 2);
    t.kept.push_back(static_cast<std::int64_t>(r));
  }
  return t;
}

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

std::int64_t Table::drop_missing(const std::vector<std::string>& wanted) {
  std::vector<bool> drop(row_lines.size(), false);
  for (const std::string& name : wanted)
    for (const OddCell& cell : odd[index(name)])
      if (cell.missing)
        drop[static_cast<std::size_t>(cell.row)] = true;
  const std::int64_t before = rows();
  std::erase_if(kept, [&](std::int64_t r) { return drop[static_cast<std::size_t>(r)]; });
  return before - rows();
}

std::vector<std::int64_t> Table::dropped_lines(std::size_t at_most) const {
  std::vector<std::int64_t> out;
  std::size_t k = 0;
  for (std::size_t r = 0; r < row_lines.size() && out.size() < at_most; ++r) {
    if (k < kept.size() && kept[k] == static_cast<std::int64_t>(r))
      ++k;
    else
      out.push_back(row_lines[r]);
  }
  return out;
}

void Table::require_numbers(const std::vector<std::string>& wanted) const {
  std::vector<bool> in_use(row_lines.size(), false);
  for (const std::int64_t r : kept)
    in_use[static_cast<std::size_t>(r)] = true;
  // The first cell that is not a number, in the order of the file, is the one to name.
  const OddCell* first = nullptr;
  std::size_t first_column = 0;
  for (const std::string& name : wanted) {
    const std::size_t col = index(name);
    for (const OddCell& cell : odd[col])
      if (in_use[static_cast<std::size_t>(cell.row)]) {
        if (first == nullptr || cell.row < first->row ||
            (cell.row == first->row && field_number[col] < field_number[first_column])) {
          first = &cell;
          first_column = col;
        }
        break;
      }
  }
  if (first != nullptr) {
    const std::int64_t line = row_lines[static_cast<std::size_t>(first->row)];
    if (first->missing)
      fail("{}:{}:{}: column '{}': a missing value ('{}'); expected a number, or --drop-na to "
           "skip the rows with missing values",
           source, line, field_number[first_column], names[first_column], first->text);
    fail("{}:{}:{}: column '{}': '{}' is not {}; expected a finite decimal number", source, line,
         field_number[first_column], names[first_column], first->text,
         parse_number(first->text, delimiter) ? "a finite number" : "a number");
  }
}

Tensor Table::matrix(const std::vector<std::string>& wanted, DType dtype) const {
  require_numbers(wanted);
  const auto n = static_cast<std::size_t>(rows());
  std::vector<double> values(n * wanted.size());
  for (std::size_t c = 0; c < wanted.size(); ++c) {
    const std::size_t col = index(wanted[c]);
    const std::vector<double>& column = columns[col];
    for (std::size_t i = 0; i < n; ++i) {
      const auto r = static_cast<std::size_t>(kept[i]);
      if (dtype == kFloat32 && std::abs(column[r]) > std::numeric_limits<float>::max())
        fail("{}:{}:{}: column '{}': {} is beyond float32's range; expected a magnitude below "
             "{:g}",
             source, row_lines[r], field_number[col], names[col], column[r],
             std::numeric_limits<float>::max());
      values[i * wanted.size() + c] = column[r];
    }
  }
  return from_vector(
      values, {static_cast<std::int64_t>(n), static_cast<std::int64_t>(wanted.size())}, dtype);
}

Table parse_csv(std::string_view all, const std::string& source, const CsvOptions& options) {
  const std::string_view text = strip_byte_order_mark(all, source);
  Table table;
  table.source = source;
  table.delimiter = options.delimiter != 0 ? options.delimiter : detect_delimiter(text);
  bool header = true, row_names = false;
  std::int64_t last_line = 0;
  for_each_record(text, table.delimiter, source, [&](const std::vector<Field>& fields) {
    const std::int64_t line = fields.front().line;
    last_line = line;
    if (header) {
      header = false;
      table.header_line = line;
      // R's write.csv and pandas' to_csv start with an unnamed column of row names.
      row_names = fields.size() > 1 && fields[0].text.empty();
      for (std::size_t f = row_names ? 1 : 0; f < fields.size(); ++f) {
        const std::string& name = fields[f].text;
        if (name.empty())
          fail("{}:{}:{}: an empty column name in the header; expected a name (only the first "
               "column, of row names, may have none)",
               source, line, f + 1);
        if (!valid_name(name))
          fail("{}:{}:{}: the column name '{}' is not UTF-8 text on one line; expected a UTF-8 "
               "file (save it as \"CSV UTF-8\")",
               source, line, f + 1, name);
        if (std::find(table.names.begin(), table.names.end(), name) != table.names.end())
          fail("{}:{}:{}: the column name '{}' appears twice in the header; expected distinct "
               "names",
               source, line, f + 1, name);
        table.names.push_back(name);
        table.field_number.push_back(static_cast<std::int64_t>(f) + 1);
      }
      table.columns.resize(table.names.size());
      table.odd.resize(table.names.size());
      return;
    }
    const std::size_t width = table.names.size() + (row_names ? 1 : 0);
    if (fields.size() != width)
      fail("{}:{}:{}: {} cells, but the header names {} columns; expected {} {}-separated "
           "cells{}",
           source, line, std::min(fields.size(), width) + 1, fields.size(), width, width,
           delimiter_name(table.delimiter),
           options.delimiter == 0 ? fmt::format(" (the {} was detected from the header; "
                                                "--delimiter chooses another)",
                                                delimiter_name(table.delimiter))
                                  : "");
    const auto row = static_cast<std::int64_t>(table.row_lines.size());
    for (std::size_t c = 0; c < table.names.size(); ++c) {
      const std::string& cell = fields[c + (row_names ? 1 : 0)].text;
      const std::optional<double> value =
          is_missing(cell) ? std::nullopt : parse_number(cell, table.delimiter);
      const bool finite = value && std::isfinite(*value);
      table.columns[c].push_back(finite ? *value : std::numeric_limits<double>::quiet_NaN());
      if (!finite)
        table.odd[c].push_back({row, is_missing(cell), cell});
    }
    table.row_lines.push_back(line);
    table.kept.push_back(row);
  });
  if (header)
    fail("{}:{}: the file is empty; expected a header row of column names", source,
         std::max<std::int64_t>(last_line, 1));
  if (table.rows() == 0)
    fail("{}:{}: a header but no data rows; expected rows of numbers below the header", source,
         table.header_line + 1);
  return table;
}

Table read_csv(const std::string& path, const CsvOptions& options) {
  return parse_csv(read_all(path), describe_source(path), options);
}

char parse_delimiter(const std::string& value) {
  if (value == "tab" || value == "\\t" || value == "\t")
    return '\t';
  const bool ok = value.size() == 1 && std::ispunct(static_cast<unsigned char>(value[0])) &&
                  value != "\"" && value != "." && value != "-" && value != "+";
  if (!ok)
    fail("'--delimiter {}': expected one character such as ',' or ';', or 'tab'", value);
  return value[0];
}

void write_csv(const std::string& path, const std::vector<std::string>& header,
               const std::vector<std::vector<double>>& rows) {
  std::string out;
  for (std::size_t c = 0; c < header.size(); ++c) {
    const std::string& name = header[c];
    out += c ? "," : "";
    // Quoted when a reader would otherwise split it or trim it.
    const bool plain = name.find_first_of(",;\t\"\r\n") == std::string::npos && !name.empty() &&
                       name.front() != ' ' && name.back() != ' ';
    if (plain)
      out += name;
    else {
      out += '"';
      for (char ch : name)
        out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
      out += '"';
    }
  }
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
