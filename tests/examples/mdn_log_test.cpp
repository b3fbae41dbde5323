// Honest training logs: every NLL labelled with its units (nats per point in the units of y),
// the best-epoch mark explained, a last line saying why training stopped and which epoch was
// kept, the bar redrawn at most ten times a second on a terminal, and --log FILE.jsonl.
#include "tests/examples/run_binary.hpp"

#include <autograd/generator.hpp>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <regex>
#include <sstream>

using namespace tapegrad;
using test::run_binary;

namespace {

// Noisy y = 3000 sin(3x) in millimetres, 300 rows.
void write_data(const std::filesystem::path& path) {
  Generator gen(8);
  std::string out = "x,height_mm\n";
  for (int i = 0; i < 300; ++i) {
    const double x = gen.uniform() * 2 - 1;
    out += fmt::format("{:.5f},{:.5f}\n", x, 3000 * std::sin(3 * x) + 200 * gen.uniform());
  }
  std::ofstream(path) << out;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    out.push_back(line);
  return out;
}

double number_after(const std::string& text, const std::string& key) {
  const auto at = text.find(key);
  REQUIRE(at != std::string::npos);
  return std::stod(text.substr(at + key.size()));
}

} // namespace

TEST_CASE("mdn fit labels its NLLs, explains the mark, and ends saying why it stopped and which "
          "epoch it kept",
          "[examples][mdn_command][log]") {
  const auto dir = test::scratch("log_lines");
  write_data(dir / "data.csv");
  // A large learning rate and a short patience: early stopping comes long before the budget.
  const test::Run early = run_binary("mdn",
                                     "fit --data data.csv --hidden 8 --components 2 --epochs 2000 "
                                     "--batch 30 --lr 0.05 --patience 5 --ensemble 1 --out m.tgm "
                                     "--json",
                                     dir);
  INFO(early.err);
  REQUIRE(early.status == 0);
  const std::vector<std::string> err = lines(early.err);
  REQUIRE(err.size() >= 3);
  CHECK(err.front() == "K=2: 2000 epochs of 270 rows, validating on 30; NLL in nats per point, in "
                       "the units of height_mm; * marks a new best validation NLL (the epoch kept "
                       "so far)");
  for (std::size_t i = 1; i + 1 < err.size(); ++i) {
    INFO(err[i]);
    CHECK(err[i].find("train NLL ") != std::string::npos);
    CHECK(err[i].find("val NLL ") != std::string::npos);
  }
  const std::regex last(R"(K=2: early stopping after epoch ([0-9]+) \(no better validation NLL in )"
                        R"(its last ([0-9]+) epochs, --patience 5\); kept epoch ([0-9]+) \(the )"
                        R"(best validation NLL, (-?[0-9.]+) nats per point\))");
  std::smatch m;
  REQUIRE(std::regex_match(err.back(), m, last));
  const int stopped = std::stoi(m[1]), kept = std::stoi(m[3]);
  // Patience counts only once early stopping's waiting period (min_epochs) is over.
  CHECK(std::stoi(m[2]) == stopped - kept);
  CHECK(stopped >= kept + 5);
  CHECK(stopped < 2000);
  // The summary says the same, in data units: the NLL of millimetres, not of standardised ones
  // (noise of about 60 mm puts it near 5, where a standardised one would be near -2).
  CHECK(early.out.find(fmt::format("\"epochs_run\": {}, \"best_epoch\": {}, \"stopped_by\": "
                                   "\"early stopping\"",
                                   stopped, kept)) != std::string::npos);
  const double val_nll = number_after(early.out, "\"val_nll\": ");
  CHECK(val_nll == Approx(std::stod(m[4])).margin(2e-4));
  CHECK(val_nll > 3);

  // Without validation data every epoch runs, and the last is kept.
  const test::Run budget = run_binary("mdn",
                                      "fit --data data.csv --hidden 8 --components 2 --epochs 7 "
                                      "--batch 30 --val 0 --out n.tgm",
                                      dir);
  REQUIRE(budget.status == 0);
  const std::vector<std::string> plain = lines(budget.err);
  CHECK(plain.front().find("no validation data") != std::string::npos);
  CHECK(plain.back() ==
        "K=2: ran all 7 epochs; kept the last epoch, 7 (no validation data to choose another)");
  CHECK(budget.out.find("kept epoch 7 of 7 (epoch budget)") != std::string::npos);
}

TEST_CASE("mdn fit --log writes one JSON line per epoch of each network",
          "[examples][mdn_command][log]") {
  const auto dir = test::scratch("log_jsonl");
  write_data(dir / "data.csv");
  const test::Run fit = run_binary("mdn",
                                   "fit --data data.csv --hidden 8 --components 2 --ensemble 2 "
                                   "--epochs 6 --batch 100 --lr 0.01 --quiet --log=train.jsonl "
                                   "--out m.tgm",
                                   dir);
  INFO(fit.err);
  REQUIRE(fit.status == 0);
  CHECK(fit.err.empty()); // --quiet
  const std::vector<std::string> all = lines(test::read_text(dir / "train.jsonl"));
  REQUIRE(all.size() == 12); // 6 epochs of each of the 2 networks
  const std::regex line(R"(\{"components": 2, "network": ([01]), "epoch": ([0-9]+), )"
                        R"("step": ([0-9]+), "train_nll": (-?[0-9.e+-]+), )"
                        R"("val_nll": (-?[0-9.e+-]+), "best": (true|false), "lr": [0-9.e-]+, )"
                        R"("seconds": [0-9]+\.[0-9]{6}, "processes": 1\})");
  std::vector<std::string> log; // the first network's, in order (the two train side by side)
  int epochs_of[2] = {0, 0};
  for (const std::string& text : all) {
    INFO(text);
    std::smatch m;
    REQUIRE(std::regex_match(text, m, line));
    const int network = std::stoi(m[1]);
    const int epoch = std::stoi(m[2]);
    CHECK(epoch == ++epochs_of[network]); // each network's epochs in order
    CHECK(std::stoi(m[3]) == epoch * 3);  // 270 training rows in batches of 100
    if (network == 0)
      log.push_back(text);
  }
  CHECK(epochs_of[1] == 6);
  // The same numbers as the progress display prints.
  const test::Run shown = run_binary("mdn",
                                     "fit --data data.csv --hidden 8 --components 2 --ensemble 2 "
                                     "--epochs 6 --batch 100 --lr 0.01 --out m2.tgm",
                                     dir);
  const double last_train = number_after(log.back(), "\"train_nll\": ");
  CHECK(shown.err.find(fmt::format("K=2 epoch 6/6  train NLL {:.4f}", last_train)) !=
        std::string::npos);
}

TEST_CASE("on a terminal the progress bar is redrawn at most ten times a second",
          "[examples][mdn_command][log]") {
  if (std::system("command -v script >/dev/null 2>&1") != 0) {
    WARN("script (util-linux) is not installed: no terminal to test the bar on");
    return;
  }
  const auto dir = test::scratch("log_terminal");
  write_data(dir / "data.csv");
  // `script` gives the command a terminal and copies what it shows into a file.
  const std::string command =
      "cd '" + dir.string() + "' && script -qec \"'" + std::string(TAPEGRAD_EXAMPLES_DIR) +
      "/mdn' fit --data data.csv --hidden 4 --components 1 --epochs 400 --batch 300 --val 0 "
      "--out m.tgm\" typescript.txt >/dev/null 2>&1";
  const auto start = std::chrono::steady_clock::now();
  REQUIRE(std::system(command.c_str()) == 0);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::string shown = test::read_text(dir / "typescript.txt");
  // Each frame of the bar starts with a carriage return and the label.
  long redraws = 0;
  for (std::size_t at = shown.find("\rK=1 ["); at != std::string::npos;
       at = shown.find("\rK=1 [", at + 1))
    ++redraws;
  INFO(shown);
  CHECK(shown.find("K=1 [########################] 400/400") != std::string::npos);
  CHECK(redraws >= 1);
  CHECK(redraws <= 2 + static_cast<long>(10 * seconds)); // not 400
}
