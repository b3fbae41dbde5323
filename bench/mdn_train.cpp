// End-to-end MDN throughput: one configuration per process, so that the peak resident memory
// (getrusage) belongs to that configuration alone. bench/pytorch_mdn.py is its twin in PyTorch,
// with the same configurations, steps and output; bench/compare_mdn.py runs both and writes the
// table in bench/RESULTS.md.
//
//   mdn_train --config tiny|classic|wide|big|infer [--threads N] [--warmup W] [--steps S]
//             [--repeats R] [--json]
//
// A training step is what mdn::train does per batch, through the same public API: zero the
// gradients, the mean NLL of a fixed random batch, item() of the loss, backward, Adam step, clear
// the tape. After the warm-up steps, R repeats of S steps each are timed; the figures are medians
// over the repeats. `infer` is the classic model on 10,000 rows without a tape: the forward pass
// (the mixture's parameters), and drawing one sample per row from that mixture.
#include "mdn/mdn.hpp"
#include "nn/optim.hpp"

#include <fmt/format.h>
#include <omp.h>
#include <pmmintrin.h>
#include <xmmintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include <sys/resource.h>

using namespace tapegrad;

namespace {

struct Config {
  std::string name;
  std::int64_t in, out;
  std::vector<std::int64_t> hidden;
  std::int64_t components, batch;
  int warmup, steps, repeats; // defaults chosen so a configuration takes a few seconds
};

// Keep in step with CONFIGS in bench/pytorch_mdn.py.
const std::vector<Config> kConfigs = {
    {"tiny", 1, 1, {32, 32}, 5, 128, 20, 200, 5},
    {"classic", 1, 1, {64, 64}, 10, 512, 10, 100, 5},
    {"wide", 8, 2, {256, 256}, 16, 1024, 3, 20, 5},
    {"big", 32, 4, {1024, 1024}, 32, 4096, 1, 2, 5},
    {"infer", 1, 1, {64, 64}, 10, 10000, 3, 10, 5},
};

struct Args {
  const Config* config = nullptr;
  int threads = 1, warmup = -1, steps = -1, repeats = -1;
  bool json = false;
};

[[noreturn]] void usage(const std::string& why) {
  fmt::print(stderr,
             "mdn_train: {}\nusage: mdn_train --config tiny|classic|wide|big|infer "
             "[--threads N] [--warmup W] [--steps S] [--repeats R] [--json]\n",
             why);
  std::exit(2);
}

int positive(const char* text, const char* flag, int min) {
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  if (*end != '\0' || value < min || value > 1000000)
    usage(fmt::format("{} expects an integer >= {}, got '{}'", flag, min, text));
  return static_cast<int>(value);
}

Args parse(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--json") {
      args.json = true;
      continue;
    }
    if (i + 1 >= argc)
      usage(fmt::format("{} needs a value", flag));
    const char* value = argv[++i];
    if (flag == "--config") {
      const auto it = std::find_if(kConfigs.begin(), kConfigs.end(),
                                   [&](const Config& c) { return c.name == value; });
      if (it == kConfigs.end())
        usage(fmt::format("unknown configuration '{}'", value));
      args.config = &*it;
    } else if (flag == "--threads") {
      args.threads = positive(value, "--threads", 1);
    } else if (flag == "--warmup") {
      args.warmup = positive(value, "--warmup", 0);
    } else if (flag == "--steps") {
      args.steps = positive(value, "--steps", 1);
    } else if (flag == "--repeats") {
      args.repeats = positive(value, "--repeats", 1);
    } else {
      usage(fmt::format("unknown option '{}'", flag));
    }
  }
  if (args.config == nullptr)
    usage("--config is required");
  return args;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

// Milliseconds per call of `body`, one figure per repeat, after `warmup` untimed calls.
template <class Body> std::vector<double> time_ms(int warmup, int steps, int repeats, Body body) {
  for (int i = 0; i < warmup; ++i)
    body();
  std::vector<double> per_call;
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < steps; ++i)
      body();
    const std::chrono::duration<double, std::milli> elapsed =
        std::chrono::steady_clock::now() - start;
    per_call.push_back(elapsed.count() / steps);
  }
  return per_call;
}

double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0; // ru_maxrss is in KiB on Linux
}

std::string json_list(const std::vector<double>& values) {
  std::string text = "[";
  for (std::size_t i = 0; i < values.size(); ++i)
    text += fmt::format("{}{:.6g}", i ? ", " : "", values[i]);
  return text + "]";
}

} // namespace

int main(int argc, char** argv) try {
  const Args args = parse(argc, argv);
  const Config& c = *args.config;
  const int warmup = args.warmup >= 0 ? args.warmup : c.warmup;
  const int steps = args.steps > 0 ? args.steps : c.steps;
  const int repeats = args.repeats > 0 ? args.repeats : c.repeats;

  // Denormals slow float arithmetic badly; PyTorch's side calls set_flush_denormal(True). Threads
  // that OpenMP starts later inherit this thread's MXCSR.
  _MM_SET_FLUSH_ZERO_MODE(_MM_FLUSH_ZERO_ON);
  _MM_SET_DENORMALS_ZERO_MODE(_MM_DENORMALS_ZERO_ON);
  omp_set_num_threads(args.threads);

  Generator gen(20261202);
  mdn::MDN model(
      {.in_features = c.in, .out_dim = c.out, .components = c.components, .hidden = c.hidden}, gen);
  const Tensor x = randn({c.batch, c.in}, gen);
  const Tensor y = randn({c.batch, c.out}, gen);

  // Each figure is a median over the repeats; its list of repeats goes into the JSON too.
  std::vector<std::pair<std::string, std::vector<double>>> timings;
  double loss_value = 0;
  if (c.name == "infer") {
    model.eval();
    NoGradGuard no_grad;
    Generator draws(7);
    const mdn::Mixture mixture = model.mixture(x);
    timings.emplace_back("forward_ms",
                         time_ms(warmup, steps, repeats, [&] { (void)model.mixture(x); }));
    timings.emplace_back("sample_ms", time_ms(warmup, steps, repeats,
                                              [&] { (void)mdn::sample(mixture, 1, draws); }));
    timings.emplace_back("forward_sample_ms", time_ms(warmup, steps, repeats, [&] {
                           (void)mdn::sample(model.mixture(x), 1, draws);
                         }));
  } else {
    model.train();
    nn::Adam adam(model.parameters(), {.lr = 1e-3});
    timings.emplace_back("ms_per_step", time_ms(warmup, steps, repeats, [&] {
                           adam.zero_grad();
                           const Tensor loss = model.nll(x, y);
                           loss_value = loss.item<double>();
                           loss.backward();
                           adam.step();
                           clear_tape();
                         }));
  }

  if (args.json) {
    std::string text = fmt::format(
        R"({{"side": "tapegrad", "config": "{}", "threads": {}, "batch": {}, "warmup": {}, )"
        R"("steps": {}, "repeats": {}, "peak_rss_mib": {:.1f}, "final_loss": {:.6g})",
        c.name, args.threads, c.batch, warmup, steps, repeats, peak_rss_mib(), loss_value);
    for (const auto& [key, values] : timings)
      text += fmt::format(R"(, "{}": {:.6g}, "{}_all": {})", key, median(values), key,
                          json_list(values));
    if (c.name != "infer")
      text += fmt::format(R"(, "samples_per_s": {:.6g})",
                          static_cast<double>(c.batch) * 1000.0 / median(timings.front().second));
    fmt::print("{}}}\n", text);
  } else {
    fmt::print("tapegrad {}, batch {}, {} thread(s):", c.name, c.batch, args.threads);
    for (const auto& [key, values] : timings)
      fmt::print(" {} {:.4g}", key, median(values));
    if (c.name != "infer")
      fmt::print(" ({:.4g} samples/s)",
                 static_cast<double>(c.batch) * 1000.0 / median(timings.front().second));
    fmt::print(", peak RSS {:.1f} MiB\n", peak_rss_mib());
  }
  return 0;
} catch (const std::exception& e) {
  fmt::print(stderr, "mdn_train: error: {}\n", e.what());
  return 1;
}
