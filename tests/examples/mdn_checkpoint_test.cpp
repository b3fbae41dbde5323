// `mdn fit` checkpoints end to end: SIGTERM or SIGINT during training saves the training state
// and exits with 128 + the signal; `mdn fit --resume` then ends with the very model file an
// uninterrupted run writes, byte for byte (also on another number of OpenMP threads); a
// --checkpoint-every checkpoint resumes the same way; and a run whose loss blows up stops with an
// error naming the epoch and batch, leaving the last good checkpoint as it was.
#include "tests/examples/run_binary.hpp"

#include <autograd/generator.hpp>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <fcntl.h>
#include <numbers>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

using namespace tapegrad;
using test::run_binary;

namespace {

void write_bishop(const std::filesystem::path& path, std::int64_t n, std::uint64_t seed) {
  Generator gen(seed);
  std::string out = "x,t\n";
  for (std::int64_t i = 0; i < n; ++i) {
    const double t = gen.uniform();
    const double x = t + 0.3 * std::sin(2 * std::numbers::pi * t) + (gen.uniform() * 0.2 - 0.1);
    out += fmt::format("{:.7g},{:.7g}\n", x, t);
  }
  std::ofstream(path) << out;
}

std::size_t count_lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

bool has_temporary_file(const std::filesystem::path& dir) {
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    if (entry.path().filename().string().find(".tmp.") != std::string::npos)
      return true;
  return false;
}

// Sets an environment variable for the processes started while it lives.
class ScopedEnv {
public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name))
      old_ = old;
    ::setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
  const char* name_;
  std::optional<std::string> old_;
};

// Starts `mdn fit args...` in `dir`, waits until `watched` appears there, sends `signal`, and
// returns the exit status (-1 if it did not exit normally); its stderr goes to stderr.txt.
int interrupt_fit(const std::vector<std::string>& args, const std::filesystem::path& dir,
                  const std::string& watched, int signal) {
  const std::string exe = std::string(TAPEGRAD_EXAMPLES_DIR) + "/mdn";
  std::vector<std::string> argv_text{exe, "fit"};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_text)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string err = (dir / "stderr.txt").string(), out = (dir / "stdout.txt").string();
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) { // only async-signal-safe calls until exec
    if (::chdir(dir.c_str()) != 0)
      ::_exit(127);
    const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (e < 0 || o < 0 || ::dup2(e, 2) < 0 || ::dup2(o, 1) < 0)
      ::_exit(127);
    ::execv(exe.c_str(), argv.data());
    ::_exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  bool appeared = false;
  int raw = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (std::filesystem::exists(dir / watched)) {
      appeared = true;
      break;
    }
    if (::waitpid(pid, &raw, WNOHANG) == pid) // it ended before writing the file
      return WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ::kill(pid, signal);
  ::waitpid(pid, &raw, 0);
  CHECK(appeared);
  return WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
}

const std::string kFlags = "--data train.csv --hidden 16 --components 3 --epochs 200 --batch 100 "
                           "--lr 0.01 --seed 4 --quiet";

} // namespace

TEST_CASE("mdn fit stopped by SIGTERM or SIGINT saves a checkpoint, and --resume ends with the "
          "uninterrupted run's model, byte for byte",
          "[examples][mdn_command][checkpoint]") {
  const auto dir = test::scratch("interrupt");
  write_bishop(dir / "train.csv", 2000, 1);
  write_bishop(dir / "other.csv", 2000, 2);
  const ScopedEnv one_thread("OMP_NUM_THREADS", "1");
  const test::Run straight = run_binary("mdn", "fit " + kFlags + " --out straight.tgm", dir);
  INFO(straight.err);
  REQUIRE(straight.status == 0);
  const std::string expected = test::read_text(dir / "straight.tgm");

  for (const int signal : {SIGTERM, SIGINT}) {
    const std::string name = signal == SIGTERM ? "SIGTERM" : "SIGINT";
    INFO(name);
    std::filesystem::remove(dir / "i.tgm.ckpt");
    std::vector<std::string> args;
    std::istringstream words(kFlags + " --checkpoint-every 1 --out i.tgm");
    for (std::string w; words >> w;)
      args.push_back(w);
    const int status = interrupt_fit(args, dir, "i.tgm.ckpt", signal);
    const std::string err = test::read_text(dir / "stderr.txt");
    INFO(err);
    CHECK(status == 128 + signal);
    CHECK(count_lines(err) == 1);
    CHECK(err.find("mdn fit: stopped by " + name + " after epoch ") == 0);
    CHECK(err.find("saved the training state to i.tgm.ckpt; continue with: mdn fit --resume "
                   "i.tgm.ckpt --data train.csv --out i.tgm") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir / "i.tgm")); // no model from an unfinished run
    REQUIRE(std::filesystem::exists(dir / "i.tgm.ckpt"));
    CHECK_FALSE(has_temporary_file(dir));

    // The flags come from the checkpoint; resuming on two threads changes nothing either.
    const ScopedEnv two_threads("OMP_NUM_THREADS", "2");
    const test::Run resumed =
        run_binary("mdn", "fit --resume i.tgm.ckpt --data train.csv --quiet --out i.tgm", dir);
    INFO(resumed.err);
    REQUIRE(resumed.status == 0);
    CHECK(test::read_text(dir / "i.tgm") == expected);
    std::filesystem::remove(dir / "i.tgm");
  }

  // A checkpoint refuses other flags and other data, naming what differs.
  const test::Run other_lr = run_binary(
      "mdn", "fit --resume i.tgm.ckpt --data train.csv --lr 0.02 --quiet --out j.tgm", dir);
  CHECK(other_lr.status == 2);
  CHECK(other_lr.err.rfind("error: mdn fit: '--lr 0.02' differs from the run of i.tgm.ckpt "
                           "(--lr 0.01); expected the same value",
                           0) == 0);
  const test::Run other_data =
      run_binary("mdn", "fit --resume i.tgm.ckpt --data other.csv --quiet --out j.tgm", dir);
  CHECK(other_data.status == 2);
  CHECK(other_data.err.rfind("error: other.csv: these 2000 rows are not the data the run of "
                             "i.tgm.ckpt was trained on (train.csv, 2000 rows); expected the "
                             "same data",
                             0) == 0);
  CHECK_FALSE(std::filesystem::exists(dir / "j.tgm"));
}

TEST_CASE("mdn fit --checkpoint-every writes checkpoints that resume to the same model",
          "[examples][mdn_command][checkpoint]") {
  const auto dir = test::scratch("checkpoint_every");
  write_bishop(dir / "train.csv", 1000, 3);
  const std::string flags = "fit --data train.csv --hidden 8 --components 2 --epochs 30 "
                            "--batch 100 --lr 0.01 --patience 0 --quiet";
  REQUIRE(run_binary("mdn", flags + " --out straight.tgm", dir).status == 0);
  // Checkpoints leave the result alone; the last one, of epoch 24, stays.
  const test::Run saving =
      run_binary("mdn", flags + " --checkpoint-every 8 --checkpoint run.ckpt --out saved.tgm", dir);
  INFO(saving.err);
  REQUIRE(saving.status == 0);
  CHECK(test::read_text(dir / "saved.tgm") == test::read_text(dir / "straight.tgm"));
  REQUIRE(std::filesystem::exists(dir / "run.ckpt"));
  const test::Run resumed =
      run_binary("mdn", "fit --resume run.ckpt --data train.csv --quiet --out resumed.tgm", dir);
  INFO(resumed.err);
  REQUIRE(resumed.status == 0);
  CHECK(test::read_text(dir / "resumed.tgm") == test::read_text(dir / "straight.tgm"));
  // The same values spelt otherwise are the same flags, and --quiet decides nothing.
  const test::Run respelt = run_binary(
      "mdn", "fit --resume run.ckpt --data train.csv --lr 1e-2 --epochs 030 --out again.tgm", dir);
  INFO(respelt.err);
  REQUIRE(respelt.status == 0);
  CHECK(test::read_text(dir / "again.tgm") == test::read_text(dir / "straight.tgm"));
  // A model file is no checkpoint.
  const test::Run model_as_checkpoint =
      run_binary("mdn", "fit --resume straight.tgm --data train.csv --out x.tgm", dir);
  CHECK(model_as_checkpoint.status == 2);
  CHECK(model_as_checkpoint.err.find("straight.tgm: not an `mdn fit` checkpoint") !=
        std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir / "x.tgm"));
}

TEST_CASE("mdn fit whose loss blows up names the epoch and batch and keeps the last good "
          "checkpoint as it was",
          "[examples][mdn_command][checkpoint]") {
  const auto dir = test::scratch("diverge");
  write_bishop(dir / "train.csv", 200, 5);
  // One batch per epoch, a fixed scale the optimiser cannot widen, and a step of 1e20: epoch 1
  // is still finite, epoch 2's loss overflows.
  const std::string flags = "fit --data train.csv --noise fixed --hidden 8 --components 2 "
                            "--epochs 20 --batch 200 --val 0 --lr 1e20 --quiet";
  const test::Run run = run_binary("mdn", flags + " --checkpoint-every 1 --out m.tgm", dir);
  INFO(run.err);
  CHECK(run.status == 2);
  CHECK(count_lines(run.err) == 1);
  // Every network of the ensemble overflows; the first one's error is the one reported.
  CHECK(run.err.rfind("error: network 1 of 5: train: the loss became ", 0) == 0);
  CHECK(run.err.find(" at epoch 2, batch 1; try a smaller learning rate; the last good "
                     "checkpoint, of epoch 1, stays in m.tgm.ckpt\n") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir / "m.tgm"));
  REQUIRE(std::filesystem::exists(dir / "m.tgm.ckpt"));
  CHECK_FALSE(has_temporary_file(dir));
  // The checkpoint holds epoch 1: resuming from it meets the same overflow in epoch 2, and
  // leaves it untouched.
  const std::string checkpoint = test::read_text(dir / "m.tgm.ckpt");
  const test::Run again =
      run_binary("mdn", "fit --resume m.tgm.ckpt --data train.csv --quiet --out m.tgm", dir);
  CHECK(again.status == 2);
  CHECK(again.err.find(" at epoch 2, batch 1;") != std::string::npos);
  CHECK(test::read_text(dir / "m.tgm.ckpt") == checkpoint);
  CHECK_FALSE(std::filesystem::exists(dir / "m.tgm"));
}
