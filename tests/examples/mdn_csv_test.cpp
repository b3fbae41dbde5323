// The CSV files people bring to `mdn`, as pandas and R read them (examples/common/csv.hpp): R's
// write.csv and write.csv2 output, semicolons and tabs, quoted fields, CRLF, a byte-order mark,
// UTF-8 names through every subcommand, and missing values both ways (an error by default,
// skipped with --drop-na).
#include "tests/examples/run_binary.hpp"

#include <autograd/generator.hpp>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

using namespace tapegrad;
using test::run_binary;

namespace {

// tests/examples/fixtures/, beside tests/fixtures/.
const std::filesystem::path kFixtures =
    std::filesystem::path(TAPEGRAD_TEST_FIXTURES_DIR).parent_path() / "examples" / "fixtures";

void write(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

struct Point {
  double x, t;
};

// y = sin(3x) + noise, 200 rows, numbers printed with four decimals.
std::vector<Point> sine_points() {
  Generator gen(21);
  std::vector<Point> points;
  for (int i = 0; i < 200; ++i) {
    const double x = gen.uniform() * 2 - 1;
    points.push_back({x, std::sin(3 * x) + 0.1 * (gen.uniform() - 0.5)});
  }
  return points;
}

// The same points as CSV text in a given dialect.
struct Dialect {
  std::string names[2] = {"x", "t"};
  char delimiter = ',';
  char decimal = '.';
  bool quote_all = false, crlf = false, bom = false;
};

std::string as_csv(const std::vector<Point>& points, const Dialect& d) {
  const auto field = [&](std::string text) {
    if (d.decimal != '.')
      std::replace(text.begin(), text.end(), '.', d.decimal);
    return d.quote_all ? "\"" + text + "\"" : text;
  };
  const std::string end = d.crlf ? "\r\n" : "\n";
  std::string out = d.bom ? "\xEF\xBB\xBF" : "";
  out += field(d.names[0]) + d.delimiter + field(d.names[1]) + end;
  for (const Point& p : points)
    out +=
        field(fmt::format("{:.4f}", p.x)) + d.delimiter + field(fmt::format("{:.4f}", p.t)) + end;
  return out;
}

const std::string kFit = " --hidden 8 --components 2 --epochs 5 --batch 50 --quiet";

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    ++n;
  return n;
}

} // namespace

TEST_CASE("mdn reads semicolons with decimal commas, tabs, quoted fields, CRLF and a BOM as the "
          "same numbers",
          "[examples][mdn_command][csv]") {
  const auto dir = test::scratch("csv_dialects");
  const std::vector<Point> points = sine_points();
  write(dir / "plain.csv", as_csv(points, {}));
  write(dir / "semicolon.csv", as_csv(points, {.delimiter = ';', .decimal = ','}));
  write(dir / "tab.tsv", as_csv(points, {.delimiter = '\t'}));
  write(dir / "quoted.csv", as_csv(points, {.quote_all = true, .crlf = true, .bom = true}));
  write(dir / "pipe.csv", as_csv(points, {.delimiter = '|'}));
  REQUIRE(run_binary("mdn", "fit --data plain.csv" + kFit + " --out plain.tgm", dir).status == 0);
  const std::string expected = test::read_text(dir / "plain.tgm");
  REQUIRE(!expected.empty());
  // The model is made from the numbers and the names alone: the same bytes from every dialect.
  for (const std::string file : {"semicolon.csv", "tab.tsv", "quoted.csv"}) {
    const test::Run fit = run_binary("mdn", "fit --data " + file + kFit + " --out m.tgm", dir);
    INFO(file << ": " << fit.err);
    REQUIRE(fit.status == 0);
    CHECK(test::read_text(dir / "m.tgm") == expected);
  }
  // A delimiter that is not detected is chosen, as --delimiter C or --delimiter=C.
  const test::Run piped =
      run_binary("mdn", "fit --data pipe.csv --delimiter='|'" + kFit + " --out m.tgm", dir);
  INFO(piped.err);
  REQUIRE(piped.status == 0);
  CHECK(test::read_text(dir / "m.tgm") == expected);
  const test::Run tab =
      run_binary("mdn", "eval --model plain.tgm --data tab.tsv --delimiter tab --json", dir);
  const test::Run comma = run_binary("mdn", "eval --model plain.tgm --data plain.csv --json", dir);
  REQUIRE(tab.status == 0);
  CHECK(tab.out == comma.out);
}

TEST_CASE("mdn reads R's write.csv and write.csv2 files: row names skipped, quoted names and "
          "text, NA an error or dropped",
          "[examples][mdn_command][csv]") {
  const auto dir = test::scratch("csv_r");
  std::filesystem::copy_file(kFixtures / "r_write_csv.csv", dir / "r.csv");
  std::filesystem::copy_file(kFixtures / "r_write_csv2.csv", dir / "r2.csv");
  const std::string fit = " --x x --y y --hidden 8 --components 2 --epochs 5 --batch 20 --quiet";

  // NA in a column used: an error naming where, by default. R numbers rows from 1 under a
  // header line, so R's row 7 is line 8; y is the file's fourth field (after the row names).
  const test::Run na = run_binary("mdn", "fit --data r.csv" + fit + " --out m.tgm", dir);
  CHECK(na.status == 2);
  CHECK(na.err.rfind("error: r.csv:8:4: column 'y': a missing value ('NA'); expected a number, "
                     "or --drop-na to skip the rows with missing values",
                     0) == 0);
  CHECK_FALSE(std::filesystem::exists(dir / "m.tgm"));

  // With --drop-na the three rows go, and it says so; the model is the one of the file without
  // them, and write.csv2's semicolons and decimal commas give the same model.
  const test::Run dropped =
      run_binary("mdn", "fit --data r.csv --drop-na" + fit + " --out m.tgm", dir);
  INFO(dropped.err);
  REQUIRE(dropped.status == 0);
  CHECK(dropped.err.find("mdn fit: --drop-na skipped 3 of 60 rows with a missing value in x, y "
                         "(lines 8, 24, 42)") != std::string::npos);
  std::string clean;
  {
    std::ifstream in(dir / "r.csv");
    for (std::string line; std::getline(in, line);)
      if (line.find("NA") == std::string::npos)
        clean += line + "\n";
  }
  write(dir / "clean.csv", clean);
  REQUIRE(run_binary("mdn", "fit --data clean.csv" + fit + " --out clean.tgm", dir).status == 0);
  CHECK(test::read_text(dir / "m.tgm") == test::read_text(dir / "clean.tgm"));
  const test::Run european =
      run_binary("mdn", "fit --data r2.csv --drop-na" + fit + " --out m2.tgm", dir);
  INFO(european.err);
  REQUIRE(european.status == 0);
  CHECK(test::read_text(dir / "m2.tgm") == test::read_text(dir / "m.tgm"));

  // A text column is fine until it is used, and then named.
  const test::Run text =
      run_binary("mdn", "fit --data r.csv --y y --drop-na --quiet --epochs 2 --out t.tgm", dir);
  CHECK(text.status == 2);
  CHECK(text.err.rfind("error: r.csv:2:3: column 'site': 'South \"B\"' is not a number", 0) == 0);

  // eval and predict read it too, and predict keeps the rows it could use.
  const test::Run eval = run_binary("mdn", "eval --model m.tgm --data r.csv --drop-na --json", dir);
  CHECK(eval.status == 0);
  CHECK(eval.out.rfind("{\"rows\": 57, ", 0) == 0);
  const test::Run predict =
      run_binary("mdn", "predict --model m.tgm --data r.csv --drop-na --out -", dir);
  CHECK(predict.status == 0);
  CHECK(count(predict.out, "\n") == 1 + 59); // only x is used: the NA of x drops one row
  // sample numbers its rows as the file does (from 0), so the dropped one leaves a gap.
  const test::Run sample =
      run_binary("mdn", "sample --model m.tgm --data r.csv --drop-na --n 1 --out -", dir);
  CHECK(sample.status == 0);
  CHECK(sample.out.find("\n39,0,0.4113,") != std::string::npos);
  CHECK(sample.out.find("\n40,0,") == std::string::npos);
  CHECK(sample.out.find("\n41,0,0.6471,") != std::string::npos);
  CHECK(sample.err == "mdn sample: --drop-na skipped 1 of 60 rows with a missing value in x (line "
                      "42)\n");
}

TEST_CASE("UTF-8 names and a byte-order mark go through fit, eval, predict, sample, plot and "
          "report",
          "[examples][mdn_command][csv]") {
  const auto dir = test::scratch("csv_utf8");
  const std::vector<Point> points = sine_points();
  write(dir / "data.csv",
        as_csv(points, {.names = {"température", "débit"}, .crlf = true, .bom = true}));
  const test::Run fit = run_binary("mdn",
                                   "fit --data data.csv --x température --y débit --hidden 8 "
                                   "--components 2 --epochs 5 --batch 50 --out m.tgm",
                                   dir);
  INFO(fit.err);
  REQUIRE(fit.status == 0);
  CHECK(fit.out.find("fitted p(débit | température)") != std::string::npos);
  CHECK(fit.err.find("in the units of débit") != std::string::npos);

  const test::Run eval = run_binary("mdn", "eval --model m.tgm --data data.csv", dir);
  INFO(eval.err);
  REQUIRE(eval.status == 0);
  CHECK(eval.out.find("nats per point, in the units of débit") != std::string::npos);

  const test::Run predict =
      run_binary("mdn", "predict --model m.tgm --data data.csv --out pred.csv", dir);
  REQUIRE(predict.status == 0);
  CHECK(
      test::read_text(dir / "pred.csv").rfind("température,mean_débit,std_débit,mode_débit,", 0) ==
      0);
  const test::Run sample =
      run_binary("mdn", "sample --model m.tgm --data data.csv --n 2 --out -", dir);
  REQUIRE(sample.status == 0);
  CHECK(sample.out.rfind("row,sample,température,débit\n", 0) == 0);
  // What predict wrote reads back, names and all.
  const test::Run again = run_binary("mdn", "predict --model m.tgm --data pred.csv --out -", dir);
  CHECK(again.status == 0);
  CHECK(again.out == test::read_text(dir / "pred.csv"));

  REQUIRE(run_binary("mdn", "plot --model m.tgm --data data.csv --out p.svg", dir).status == 0);
  CHECK(test::read_text(dir / "p.svg").find("p(débit | température)") != std::string::npos);
  REQUIRE(run_binary("mdn", "report --model m.tgm --data data.csv --out r.html", dir).status == 0);
  CHECK(test::read_text(dir / "r.html").find("<h1>p(débit | température) on data.csv</h1>") !=
        std::string::npos);
}

TEST_CASE("missing values: NA, NaN and empty cells are an error naming where, or skipped with "
          "--drop-na only in the columns used",
          "[examples][mdn_command][csv]") {
  const auto dir = test::scratch("csv_missing");
  std::vector<Point> points = sine_points();
  std::string text = "x,t,note\n";
  for (std::size_t i = 0; i < points.size(); ++i) {
    const std::string t = i == 10 ? "NA" : i == 50 ? "" : fmt::format("{:.4f}", points[i].t);
    const std::string x = i == 90 ? "NaN" : fmt::format("{:.4f}", points[i].x);
    text += x + "," + t + "," + (i % 3 == 0 ? "NA" : "ok") + "\n";
  }
  write(dir / "holes.csv", text);
  std::string clean = "x,t\n";
  for (std::size_t i = 0; i < points.size(); ++i)
    if (i != 10 && i != 50 && i != 90)
      clean += fmt::format("{:.4f},{:.4f}\n", points[i].x, points[i].t);
  write(dir / "clean.csv", clean);

  const test::Run refused =
      run_binary("mdn", "fit --data holes.csv --x x --y t" + kFit + " --out m.tgm", dir);
  CHECK(refused.status == 2);
  CHECK(refused.err.rfind("error: holes.csv:12:2: column 't': a missing value ('NA')", 0) == 0);
  const test::Run dropped =
      run_binary("mdn", "fit --data holes.csv --x x --y t --drop-na" + kFit + " --out m.tgm", dir);
  INFO(dropped.err);
  REQUIRE(dropped.status == 0);
  // The note column's NAs are not in a column used: they drop nothing.
  CHECK(dropped.err.find("skipped 3 of 200 rows with a missing value in x, t (lines 12, 52, 92)") !=
        std::string::npos);
  REQUIRE(run_binary("mdn", "fit --data clean.csv" + kFit + " --out clean.tgm", dir).status == 0);
  CHECK(test::read_text(dir / "m.tgm") == test::read_text(dir / "clean.tgm"));
}
