// Every kind of bad input of issues 8 and 15, fed to the built `mdn` command: each must exit with
// status 2, print exactly one line on standard error, starting with "error:", that names the file
// (with line and column for CSV data) and what was expected, and leave no output file behind.
#include "tests/examples/run_binary.hpp"

#include <autograd/generator.hpp>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

using namespace tapegrad;
using test::run_binary;

namespace {

void write(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// y = sin(3x) + noise, with an input column that never changes beside it in constant.csv.
std::string sine_csv(std::int64_t n, bool with_constant) {
  Generator gen(11);
  std::string out = with_constant ? "x,c,t\n" : "x,t\n";
  for (std::int64_t i = 0; i < n; ++i) {
    const double x = gen.uniform() * 2 - 1;
    const double t = std::sin(3 * x) + 0.1 * (gen.uniform() - 0.5);
    out += with_constant ? fmt::format("{:.6f},5,{:.6f}\n", x, t)
                         : fmt::format("{:.6f},{:.6f}\n", x, t);
  }
  return out;
}

std::set<std::string> listing(const std::filesystem::path& dir) {
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    names.insert(entry.path().filename().string());
  names.erase("stdout.txt");
  names.erase("stderr.txt");
  return names;
}

struct BadCase {
  const char* what;                 // the case of the issue
  std::string args;                 // the command line after `mdn`
  std::vector<std::string> needles; // each must appear in the error line
};

} // namespace

TEST_CASE("mdn answers every kind of bad input with status 2, one error line naming the file "
          "and what was expected, and no output file",
          "[examples][mdn_command]") {
  const auto dir = test::scratch("bad_input");
  write(dir / "train.csv", sine_csv(200, false));
  write(dir / "constant.csv", sine_csv(200, true));
  write(dir / "empty.csv", "");
  write(dir / "header.csv", "x,t\n");
  write(dir / "ragged.csv", "x,t\n0.1,0.2\n0.3\n");
  write(dir / "long.csv", "x,t\n0.1,0.2,0.5\n");
  write(dir / "text.csv", "x,t\n0.1,0.2\n0.3,abc\n");
  write(dir / "blank_cell.csv", "x,t\n0.1,\n");
  write(dir / "nan.csv", "x,t\n0.1,0.2\nnan,0.3\n");
  write(dir / "inf.csv", "x,t\n0.1,0.2\n0.3,-inf\n");
  write(dir / "huge.csv", "x,t\n0.1,0.2\n\n0.3,1e300\n");
  write(dir / "tiny.csv", "x,t\n0.1,0.2\n0.3,0.1\n0.5,0.7\n");
  write(dir / "other.csv", "a,b\n1,2\n");
  write(dir / "x_only.csv", "x\n0.1\n0.2\n");
  write(dir / "text_x.csv", "x,t\n0.1,0.2\nabc,0.3\n");
  write(dir / "na.csv", "x,t\n0.1,0.2\n0.3,NA\n");
  write(dir / "all_na.csv", "x,t\n0.1,NA\n,0.3\n");
  write(dir / "unclosed.csv", "x,t\n0.1,0.2\n0.3,\"0.4\n0.5,0.6\n");
  write(dir / "after_quote.csv", "x,t\n\"0.1\"5,0.2\n");
  write(dir / "utf16.csv", std::string("\xff\xfex\0,\0t\0\n\0", 10));
  write(dir / "latin1.csv", "temp\xe9rature,t\n0.1,0.2\n");
  write(dir / "unnamed.csv", "x,,t\n0.1,0.2,0.3\n");
  write(dir / "semi_ragged.csv", "x;t\n0,1;0,2\n0,3;0,4;0,5\n");

  // A good model with its checkpoint, and broken copies of the model.
  const test::Run fit =
      run_binary("mdn",
                 "fit --data train.csv --epochs 2 --hidden 4 --components 2 --batch 32 --quiet "
                 "--checkpoint-every 2 --out m.tgm",
                 dir);
  INFO(fit.err);
  REQUIRE(fit.status == 0);
  const std::string model = test::read_text(dir / "m.tgm");
  REQUIRE(model.size() > 100);
  write(dir / "truncated.tgm", model.substr(0, model.size() / 2));
  std::string newer = model;
  newer[8] = 2; // the format version, little-endian u32 after the 8 magic bytes
  write(dir / "newer.tgm", newer);
  std::string corrupt = model;
  corrupt[corrupt.size() - 12] ^= 0x10; // a bit of the last tensor's elements
  write(dir / "corrupt.tgm", corrupt);

  const std::string fit_to = " --epochs 2 --hidden 4 --quiet --out out.tgm";
  const std::vector<BadCase> cases = {
      // CSV data
      {"an empty file",
       "fit --data empty.csv" + fit_to,
       {"empty.csv:1:", "empty", "expected a header row"}},
      {"a header only",
       "fit --data header.csv" + fit_to,
       {"header.csv:2:", "no data rows", "expected rows of numbers"}},
      {"a short row",
       "fit --data ragged.csv" + fit_to,
       {"ragged.csv:3:2:", "1 cells", "expected 2 comma-separated cells"}},
      {"a long row",
       "fit --data long.csv" + fit_to,
       {"long.csv:2:3:", "3 cells", "expected 2 comma-separated cells"}},
      {"a non-numeric cell",
       "fit --data text.csv" + fit_to,
       {"text.csv:3:2:", "column 't': 'abc' is not a number", "expected a finite decimal number"}},
      {"an empty cell",
       "fit --data blank_cell.csv" + fit_to,
       {"blank_cell.csv:2:2:", "column 't': a missing value ('')",
        "expected a number, or --drop-na"}},
      {"NaN in the data",
       "fit --data nan.csv" + fit_to,
       {"nan.csv:3:1:", "column 'x': a missing value ('nan')", "expected a number, or --drop-na"}},
      {"NA in the data",
       "fit --data na.csv" + fit_to,
       {"na.csv:3:2:", "column 't': a missing value ('NA')", "expected a number, or --drop-na"}},
      {"NA in every row, with --drop-na",
       "fit --data all_na.csv --drop-na" + fit_to,
       {"all_na.csv", "all 2 rows have a missing value in the columns used (x, t)",
        "expected some rows"}},
      {"a quote that is never closed",
       "fit --data unclosed.csv" + fit_to,
       {"unclosed.csv:3:2:", "a quoted field is never closed", "expected a closing '\"'"}},
      {"text after a closing quote",
       "fit --data after_quote.csv" + fit_to,
       {"after_quote.csv:2:1:", "text after the closing quote", "expected comma or the end"}},
      {"a UTF-16 file",
       "fit --data utf16.csv" + fit_to,
       {"utf16.csv", "UTF-16", "expected UTF-8 text"}},
      {"a column name that is not UTF-8",
       "fit --data latin1.csv" + fit_to,
       {"latin1.csv:1:1:", "not UTF-8 text", "expected a UTF-8 file"}},
      {"an empty column name after the first",
       "fit --data unnamed.csv" + fit_to,
       {"unnamed.csv:1:2:", "an empty column name", "only the first column"}},
      {"a semicolon file with a ragged row",
       "fit --data semi_ragged.csv" + fit_to,
       {"semi_ragged.csv:3:3:", "expected 2 semicolon-separated cells",
        "the semicolon was detected from the header; --delimiter chooses another"}},
      {"text in a column used, with --drop-na",
       "eval --model m.tgm --data text.csv --drop-na",
       {"text.csv:3:2:", "'abc' is not a number"}},
      {"a bad --delimiter",
       "fit --data train.csv --delimiter ab" + fit_to,
       {"'--delimiter ab'", "expected one character such as ',' or ';', or 'tab'"}},
      {"a switch given a value",
       "fit --data train.csv --quiet=yes --epochs 2 --out out.tgm",
       {"'--quiet=yes'", "--quiet is a switch and takes no value"}},
      {"--log on the model file",
       "fit --data train.csv --log out.tgm" + fit_to,
       {"'--log out.tgm'", "expected a file name other than --out's"}},
      {"help for an unknown command",
       "help frobnicate",
       {"'frobnicate'", "expected one of fit, eval"}},
      {"completion for another shell", "completion zsh", {"'zsh'", "expected the shell, bash"}},
      {"bad data for report",
       "report --model m.tgm --data na.csv --out out.html",
       {"na.csv:3:2:", "a missing value ('NA')"}},
      {"a report from a file that is no model",
       "report --model train.csv --data train.csv --out out.html",
       {"train.csv", "not a tapegrad state file"}},
      {"an --opt=value that is bad",
       "fit --data train.csv --epochs=0 --hidden 4 --quiet --out out.tgm",
       {"'--epochs 0'", "expected an integer of at least 1"}},
      {"Inf in the data",
       "fit --data inf.csv" + fit_to,
       {"inf.csv:3:2:", "'-inf' is not a finite number", "expected a finite decimal number"}},
      {"a number beyond float32's range",
       "fit --data huge.csv" + fit_to,
       {"huge.csv:4:2:", "column 't': 1e+300 is beyond float32's range",
        "expected a magnitude below 3.40282e+38"}},
      {"a file that does not exist", "fit --data missing.csv" + fit_to, {"missing.csv"}},
      // (predict uses the input columns only: text in an output column is no error there)
      {"bad data for predict",
       "predict --model m.tgm --data text_x.csv --out out.csv",
       {"text_x.csv:3:1:", "column 'x': 'abc' is not a number",
        "expected a finite decimal number"}},
      {"bad data for plot",
       "plot --model m.tgm --data nan.csv --out out.svg",
       {"nan.csv:3:1:", "a missing value ('nan')"}},
      // Columns
      {"a --x column that does not exist",
       "fit --data train.csv --x nope" + fit_to,
       {"train.csv:1:", "no column 'nope' (named in --x)", "expected one of the header's columns"}},
      {"a --y column that does not exist",
       "fit --data train.csv --y nope" + fit_to,
       {"train.csv:1:", "no column 'nope' (named in --y)", "expected one of the header's columns"}},
      {"a column named twice in --x",
       "fit --data train.csv --x x,x --y t" + fit_to,
       {"train.csv", "--x names column 'x' twice", "expected each column once"}},
      {"a column named twice in --y",
       "fit --data train.csv --x x --y t,t" + fit_to,
       {"train.csv", "--y names column 't' twice", "expected each column once"}},
      {"a column in both --x and --y",
       "fit --data train.csv --x x,t --y t" + fit_to,
       {"train.csv", "column 't' is named in both --x and --y", "expected"}},
      {"a constant column",
       "fit --data constant.csv" + fit_to,
       {"constant.csv", "column 'c' holds the same value (5) in all 200 rows",
        "expected a column that varies"}},
      // Too few rows
      {"fewer rows than a batch",
       "fit --data train.csv --batch 500" + fit_to,
       {"train.csv", "180 training rows", "--batch 500", "expected at least 500 training rows"}},
      {"fewer rows than the validation split",
       "fit --data tiny.csv --batch 1" + fit_to,
       {"tiny.csv", "3 rows", "--val 0.1 holds out 0", "expected enough rows"}},
      // Model files
      {"a truncated model file",
       "eval --model truncated.tgm --data train.csv",
       {"truncated.tgm", "file truncated", "bytes its header announces"}},
      {"a model file of another format",
       "eval --model train.csv --data train.csv",
       {"train.csv", "not a tapegrad state file", "expected the magic bytes"}},
      {"a model file of a newer version",
       "predict --model newer.tgm --data train.csv --out out.csv",
       {"newer.tgm", "format version 2 is newer", "version 1"}},
      {"a model file whose checksum fails",
       "sample --model corrupt.tgm --data train.csv --out out.csv",
       {"corrupt.tgm", "checksum mismatch", "corrupt"}},
      {"a tapegrad file that is no model",
       "eval --model m.tgm.ckpt --data train.csv",
       {"m.tgm.ckpt", "not an `mdn` model file", "was it written by `mdn fit`?"}},
      {"a model file as a checkpoint",
       "fit --resume m.tgm --data train.csv --out out.tgm",
       {"m.tgm", "not an `mdn fit` checkpoint", "expected a file written by mdn fit"}},
      // Data that does not fit the model
      {"predict data with other columns",
       "predict --model m.tgm --data other.csv --out out.csv",
       {"other.csv:1:", "no column 'x'", "m.tgm", "expected a header with its input columns"}},
      {"sample data with other columns",
       "sample --model m.tgm --data other.csv --out out.csv",
       {"other.csv:1:", "no column 'x'", "m.tgm", "expected a header with its input columns"}},
      {"eval data without the output column",
       "eval --model m.tgm --data x_only.csv",
       {"x_only.csv:1:", "no column 't'", "expected a header with those columns"}},
      // Flags
      {"K = 0",
       "fit --data train.csv --components 0" + fit_to,
       {"--components 0", "expected comma-separated integers of at least 1"}},
      {"a negative learning rate",
       "fit --data train.csv --lr -0.1" + fit_to,
       {"--lr -0.1", "expected a number greater than 0"}},
      {"an unknown noise model",
       "fit --data train.csv --noise wide" + fit_to,
       {"'wide'", "expected full, diagonal, isotropic or fixed"}},
      {"--val 1.5",
       "fit --data train.csv --val 1.5" + fit_to,
       {"--val 1.5", "expected a fraction in [0, 1)"}},
      {"an unknown flag", "fit --data train.csv --bogus 1" + fit_to, {"unknown option '--bogus'"}},
      {"a missing --out", "fit --data train.csv --epochs 2", {"'--out' is required"}},
      {"--n 0 for sample",
       "sample --model m.tgm --data train.csv --n 0 --out out.csv",
       {"--n 0", "expected an integer of at least 1"}},
      {"a negative temperature",
       "sample --model m.tgm --data train.csv --temperature -1 --out out.csv",
       {"--temperature -1", "expected a number of at least 0"}},
      {"an unknown command", "frobnicate", {"'frobnicate'", "expected one of fit, eval"}},
  };

  const std::set<std::string> before = listing(dir);
  for (const BadCase& c : cases) {
    const test::Run run = run_binary("mdn", c.args, dir);
    INFO(c.what << ": mdn " << c.args << "\nstderr: " << run.err);
    CHECK(run.status == 2);
    CHECK(run.err.rfind("error: ", 0) == 0);
    CHECK(std::count(run.err.begin(), run.err.end(), '\n') == 1);
    for (const std::string& needle : c.needles) {
      INFO("expected in the message: " << needle);
      CHECK(run.err.find(needle) != std::string::npos);
    }
    CHECK(listing(dir) == before); // no output file, and no temporary one either
  }
}
