// libFuzzer target: the CSV reader of the examples and the `mdn` command (examples/common/csv.hpp).
// Any input must either give a well-formed table or throw tapegrad::Error; anything else (a
// crash, a sanitizer report, another exception, a table that breaks its own promises) is a bug.
#include "fuzz_file.hpp"

#include <common/csv.hpp>

#include <autograd/error.hpp>

#include <cmath>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tapegrad;
  const std::string& path = fuzz::scratch_file("csv_fuzz");
  fuzz::write_bytes(path, data, size);
  try {
    const examples::Table table = examples::read_csv(path);
    // A table is a non-empty header of distinct, non-empty names over equally long columns of
    // finite numbers, with at least one row.
    TAPEGRAD_FUZZ_CHECK(!table.names.empty());
    TAPEGRAD_FUZZ_CHECK(table.columns.size() == table.names.size());
    TAPEGRAD_FUZZ_CHECK(table.rows() > 0);
    for (std::size_t c = 0; c < table.names.size(); ++c) {
      TAPEGRAD_FUZZ_CHECK(!table.names[c].empty());
      TAPEGRAD_FUZZ_CHECK(table.index(table.names[c]) == c);
      TAPEGRAD_FUZZ_CHECK(static_cast<std::int64_t>(table.columns[c].size()) == table.rows());
      for (double value : table.columns[c])
        TAPEGRAD_FUZZ_CHECK(std::isfinite(value));
    }
    const Tensor all = table.matrix(table.names, kFloat64);
    TAPEGRAD_FUZZ_CHECK(all.size(0) == table.rows());
    TAPEGRAD_FUZZ_CHECK(all.size(1) == static_cast<std::int64_t>(table.names.size()));
    TAPEGRAD_FUZZ_CHECK(all.to_vector<double>().front() == table.columns[0][0]);
    (void)table.matrix({table.names.back()}, kFloat32);
  } catch (const Error&) {
    // Bad input, reported as such: what the reader is for.
  }
  return 0;
}
