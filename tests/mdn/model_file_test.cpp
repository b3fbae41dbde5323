// The model file: a model saved by the first release still loads and predicts the same numbers,
// a save/load round trip keeps every bit, and a damaged file is an error naming the entry.
#include "fuzz/state_repair.hpp"
#include "tests/support/mdn_helpers.hpp"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

using namespace tapegrad;

namespace {

const std::filesystem::path kFixtures = TAPEGRAD_TEST_FIXTURES_DIR;

std::vector<std::vector<std::string>> read_cells(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<std::vector<std::string>> rows;
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::stringstream s(line);
    std::string cell;
    while (std::getline(s, cell, ','))
      cells.push_back(cell);
    rows.push_back(cells);
  }
  return rows;
}

// The numbers of columns `names` of a CSV file: [rows, names.size()], float32 as `mdn` reads them.
Tensor columns(const std::vector<std::vector<std::string>>& cells,
               const std::vector<std::string>& names) {
  std::vector<float> values;
  for (std::size_t r = 1; r < cells.size(); ++r)
    for (const std::string& name : names) {
      const auto at = std::find(cells[0].begin(), cells[0].end(), name) - cells[0].begin();
      values.push_back(std::stof(cells[r][static_cast<std::size_t>(at)]));
    }
  return from_vector(
      values,
      {static_cast<std::int64_t>(cells.size()) - 1, static_cast<std::int64_t>(names.size())},
      kFloat32);
}

// The same number as the one the release printed (7 significant digits): the same digits, or
// within 1e-5 of it relative. The fixtures were written by a release build with AVX-512; a build
// whose SIMD is narrower, or a debug build of the kernels (tests run under both), rounds floats
// differently in the 7th digit, never more.
bool same_number(double got, const std::string& printed) {
  const double want = std::stod(printed);
  return (got == 0 ? "0" : fmt::format("{:.7g}", got)) == printed ||
         std::abs(got - want) <= 1e-5 * std::abs(want);
}

void check_predictions_match(const std::string& model_name, const std::string& data_name) {
  const mdn::FittedModel model = mdn::load(kFixtures / (model_name + ".tgm"));
  const auto data = read_cells(kFixtures / data_name);
  const auto want = read_cells(kFixtures / (model_name + ".predictions.csv"));
  const mdn::Predictions p = model.predict(columns(data, model.x_names));
  const std::int64_t d = model.out_dim(), k = model.options().components;
  const auto mean = p.mean.to_vector<double>(), stddev = p.stddev.to_vector<double>(),
             mode = p.mode.to_vector<double>(), weight = p.weight.to_vector<double>(),
             mu = p.component_mean.to_vector<double>(),
             sigma = p.component_stddev.to_vector<double>();
  REQUIRE(want.size() == data.size());
  for (std::size_t r = 1; r < want.size(); ++r) {
    const auto b = static_cast<std::int64_t>(r) - 1;
    std::vector<double> row;
    for (std::int64_t j = 0; j < d; ++j)
      for (const auto* v : {&mean, &stddev, &mode})
        row.push_back((*v)[static_cast<std::size_t>(b * d + j)]);
    for (std::int64_t c = 0; c < k; ++c) {
      row.push_back(weight[static_cast<std::size_t>(b * k + c)]);
      for (std::int64_t j = 0; j < d; ++j) {
        row.push_back(mu[static_cast<std::size_t>((b * k + c) * d + j)]);
        row.push_back(sigma[static_cast<std::size_t>((b * k + c) * d + j)]);
      }
    }
    const std::size_t first = static_cast<std::size_t>(model.in_features());
    REQUIRE(want[r].size() == first + row.size());
    for (std::size_t i = 0; i < row.size(); ++i) {
      INFO(model_name << " row " << r << ", column " << want[0][first + i] << ": got "
                      << fmt::format("{:.9g}", row[i]) << ", the release printed "
                      << want[r][first + i]);
      CHECK(same_number(row[i], want[r][first + i]));
    }
  }
}

} // namespace

TEST_CASE("model files of format version 1 load and predict the numbers their release predicted",
          "[mdn][model_file]") {
  check_predictions_match("model_v1_diagonal", "bishop_20.csv");
  check_predictions_match("model_v1_full", "arm_20.csv");
  const mdn::FittedModel model = mdn::load(kFixtures / "model_v1_full.tgm");
  CHECK(model.x_names == std::vector<std::string>{"x1", "x2"});
  CHECK(model.y_names == std::vector<std::string>{"theta1", "theta2"});
  CHECK(model.options().noise == mdn::NoiseModel::Full);
  CHECK(model.options().hidden == std::vector<std::int64_t>{8});
}

TEST_CASE("a saved model loads back bit for bit, names in UTF-8 included", "[mdn][model_file]") {
  Generator gen(3);
  const Tensor x = randn({120, 2}, gen), y = randn({120, 1}, gen) + x.slice(1, 0, 1);
  mdn::FitOptions options{.components = {2}, .model = {.hidden = {6}}};
  options.train = {.epochs = 3, .batch_size = 32, .lr = 0.01};
  options.x_names = {"température", "débit"};
  options.y_names = {"\xef\xbb\xbfy"}; // bytes above 127, a byte-order mark among them
  const mdn::FittedModel model = mdn::fit(x, y, options);
  const auto path = std::filesystem::temp_directory_path() /
                    ("tapegrad_model_file_" + std::to_string(::getpid()) + ".tgm");
  model.save(path);
  const mdn::FittedModel back = mdn::load(path);
  std::filesystem::remove(path);
  CHECK(back.x_names == options.x_names);
  CHECK(back.y_names == options.y_names);
  CHECK(back.x_scale.mean == model.x_scale.mean);
  CHECK(back.y_scale.std == model.y_scale.std);
  const mdn::Mixture a = model.mixture(x), b = back.mixture(x);
  CHECK(a.log_pi.to_vector<float>() == b.log_pi.to_vector<float>());
  CHECK(a.mean.to_vector<float>() == b.mean.to_vector<float>());
  CHECK(a.scale.to_vector<float>() == b.scale.to_vector<float>());
}

TEST_CASE("text entries hold bytes 0..255, and a signed byte of the first release reads as UTF-8",
          "[mdn][model_file]") {
  const std::string text = "d\xc3\xa9"
                           "bit"; // "débit"
  const Tensor t = mdn::text_tensor(text);
  CHECK(t.to_vector<std::int64_t>() == std::vector<std::int64_t>{100, 195, 169, 98, 105, 116});
  CHECK(mdn::tensor_text(t, "f", "e") == text);
  // The first release wrote a char as a signed number: 0xc3 0xa9 as -61 -87.
  const Tensor old =
      from_vector(std::vector<std::int64_t>{100, -61, -87, 98, 105, 116}, {6}, kInt64);
  CHECK(mdn::tensor_text(old, "f", "e") == text);
  const Tensor bad = from_vector(std::vector<std::int64_t>{100, 300}, {2}, kInt64);
  CHECK_THROWS_WITH(
      mdn::tensor_text(bad, "m.tgm", "config.x_columns"),
      Catch::Contains("m.tgm: entry 'config.x_columns' holds 300, not a byte of text"));
  CHECK(mdn::tensor_text(mdn::text_tensor(""), "f", "e").empty());
}

TEST_CASE("a model file whose sizes would overflow is refused naming the entry",
          "[mdn][model_file]") {
  const mdn::FittedModel model = mdn::load(kFixtures / "model_v1_full.tgm");
  nn::StateDict state = mdn::model_state(model);
  nn::StateDict damaged;
  for (const auto& [name, tensor] : state)
    damaged.insert(name,
                   name == "config.components"
                       ? from_vector(std::vector<std::int64_t>{std::int64_t{1} << 62}, {1}, kInt64)
                       : tensor);
  CHECK_THROWS_WITH(mdn::model_from_state(damaged, "m.tgm"),
                    Catch::Contains("m.tgm: corrupt model file: its options") &&
                        Catch::Contains("call for more parameters than the"));
  nn::StateDict negative;
  for (const auto& [name, tensor] : state)
    negative.insert(name, name == "config.out_dim"
                              ? from_vector(std::vector<std::int64_t>{-3}, {1}, kInt64)
                              : tensor);
  CHECK_THROWS_WITH(
      mdn::model_from_state(negative, "m.tgm"),
      Catch::Contains("entry 'config.out_dim' holds -3; expected a size of at least 1"));
}

TEST_CASE("the model file fuzz/model_fuzz found to overflow a size product (b532ca67ad87ba91) is "
          "refused, from a file and from bytes",
          "[mdn][model_file][fuzz_regression]") {
  std::ifstream in(kFixtures / "fuzz/model_b532ca67ad87ba91.tgm", std::ios::binary);
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
  REQUIRE(bytes.size() == 1510);
  // As it is, its checksums give it away; repaired as the fuzzer repaired it, its sizes must.
  CHECK_THROWS_WITH(mdn::load_from_bytes(bytes, "crafted.tgm"),
                    Catch::Contains("crafted.tgm: checksum mismatch"));
  fuzz::repair_state_checksums(bytes);
  CHECK_THROWS_WITH(mdn::load_from_bytes(bytes, "crafted.tgm"),
                    Catch::StartsWith("crafted.tgm: ") && Catch::Contains("; the file is corrupt"));
}

TEST_CASE("a model loads from the bytes it saves", "[mdn][model_file]") {
  const mdn::FittedModel model = mdn::load(kFixtures / "model_v1_diagonal.tgm");
  const std::vector<unsigned char> bytes = model.to_bytes();
  const mdn::FittedModel back = mdn::load_from_bytes(bytes, "memory");
  CHECK(back.to_bytes() == bytes);
  CHECK(back.x_names == model.x_names);
  CHECK_THROWS_WITH(
      mdn::load_from_bytes(std::vector<unsigned char>(bytes.begin(), bytes.end() - 9), "short.tgm"),
      Catch::StartsWith("short.tgm: file truncated"));
}
