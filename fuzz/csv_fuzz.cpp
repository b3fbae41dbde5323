// libFuzzer target: the CSV reader of the examples and the `mdn` command (examples/common/csv.hpp),
// in memory, with its dialect options: the input's first byte picks the delimiter (detected, or
// one of `,` `;` tab `|`, as --delimiter gives it), the rest is the file. Any input must either
// give a well-formed table or throw tapegrad::Error; anything else (a crash, a sanitizer report,
// another exception, a table that breaks its own promises) is a bug.
#include "fuzz_file.hpp"

#include <common/csv.hpp>

#include <autograd/error.hpp>

#include <algorithm>
#include <cmath>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tapegrad;
  if (size == 0)
    return 0;
  constexpr char kDelimiters[] = {0, ',', ';', '\t', '|'};
  const examples::CsvOptions options{kDelimiters[data[0] % sizeof kDelimiters]};
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    examples::Table table = examples::parse_csv(text, "input.csv", options);
    TAPEGRAD_FUZZ_CHECK(options.delimiter == 0 || table.delimiter == options.delimiter);
    // A table is a non-empty header of distinct, non-empty names over equally long columns with
    // at least one row; a cell is NaN exactly when it is recorded as not a number (missing or
    // text), and everything else is finite.
    TAPEGRAD_FUZZ_CHECK(!table.names.empty());
    TAPEGRAD_FUZZ_CHECK(table.columns.size() == table.names.size());
    TAPEGRAD_FUZZ_CHECK(table.odd.size() == table.names.size());
    TAPEGRAD_FUZZ_CHECK(table.rows() > 0);
    TAPEGRAD_FUZZ_CHECK(table.row_lines.size() == table.kept.size());
    for (std::size_t c = 0; c < table.names.size(); ++c) {
      TAPEGRAD_FUZZ_CHECK(!table.names[c].empty());
      TAPEGRAD_FUZZ_CHECK(table.index(table.names[c]) == c);
      TAPEGRAD_FUZZ_CHECK(table.columns[c].size() == table.row_lines.size());
      std::size_t not_numbers = 0;
      for (double value : table.columns[c])
        not_numbers += std::isfinite(value) ? 0 : 1;
      TAPEGRAD_FUZZ_CHECK(not_numbers == table.odd[c].size());
    }
    // Dropping the rows with missing values leaves rows whose cells are numbers or text.
    (void)table.drop_missing(table.names);
    for (std::size_t c = 0; c < table.names.size(); ++c)
      for (const examples::OddCell& cell : table.odd[c])
        TAPEGRAD_FUZZ_CHECK(!cell.missing || std::find(table.kept.begin(), table.kept.end(),
                                                       cell.row) == table.kept.end());
    if (table.rows() > 0) {
      // Either an Error naming a cell, or a matrix of finite numbers.
      const Tensor all = table.matrix(table.names, kFloat64);
      TAPEGRAD_FUZZ_CHECK(all.size(0) == table.rows());
      TAPEGRAD_FUZZ_CHECK(all.size(1) == static_cast<std::int64_t>(table.names.size()));
      for (const double v : all.to_vector<double>())
        TAPEGRAD_FUZZ_CHECK(std::isfinite(v));
      (void)table.matrix({table.names.back()}, kFloat32);
    }
  } catch (const Error&) {
    // Bad input, reported as such: what the reader is for.
  }
  return 0;
}
