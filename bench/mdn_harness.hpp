// What bench/mdn_train.cpp (tapegrad) and bench/libtorch_mdn.cpp (LibTorch) share: the
// configurations, the command line, the timing loop and the figures of the JSON line they print.
// bench/pytorch_mdn.py is the third side, in Python; its CONFIGS must stay in step with kConfigs.
// Nothing here knows either library.
#pragma once

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <sys/resource.h>
#include <time.h>

namespace mdn_bench {

struct Config {
  std::string name;
  std::int64_t in, out;
  std::vector<std::int64_t> hidden;
  std::int64_t components, batch;
  int warmup, steps, repeats; // defaults chosen so a configuration takes a few seconds
};

// Keep in step with CONFIGS in bench/pytorch_mdn.py and bench/compare_mdn.py.
inline const std::vector<Config> kConfigs = {
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
  // The loss check (bench/compare_mdn.py): start from the weights and batch in this file, written
  // by `pytorch_mdn.py --write-init`, and print the losses of the first check_losses steps.
  std::string init_file;
  int check_losses = 0;
};

[[noreturn]] inline void usage(const char* program, bool init_options, const std::string& why) {
  fmt::print(stderr,
             "{}: {}\nusage: {} --config tiny|classic|wide|big|infer [--threads N] [--warmup W] "
             "[--steps S] [--repeats R] [--json]{}\n",
             program, why, program,
             init_options ? "\n       " + std::string(program) +
                                " --config NAME --init FILE --check-losses N   (the loss check)"
                          : "");
  std::exit(2);
}

inline int positive(const char* program, bool init_options, const char* text, const char* flag,
                    int min) {
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  if (*end != '\0' || value < min || value > 1000000)
    usage(program, init_options,
          fmt::format("{} expects an integer >= {}, got '{}'", flag, min, text));
  return static_cast<int>(value);
}

// init_options: whether this side understands --init and --check-losses.
inline Args parse(int argc, char** argv, const char* program, bool init_options) {
  Args args;
  const auto fail = [&](const std::string& why) { usage(program, init_options, why); };
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--json") {
      args.json = true;
      continue;
    }
    if (i + 1 >= argc)
      fail(fmt::format("{} needs a value", flag));
    const char* value = argv[++i];
    if (flag == "--config") {
      const auto it = std::find_if(kConfigs.begin(), kConfigs.end(),
                                   [&](const Config& c) { return c.name == value; });
      if (it == kConfigs.end())
        fail(fmt::format("unknown configuration '{}'", value));
      args.config = &*it;
    } else if (flag == "--threads") {
      args.threads = positive(program, init_options, value, "--threads", 1);
    } else if (flag == "--warmup") {
      args.warmup = positive(program, init_options, value, "--warmup", 0);
    } else if (flag == "--steps") {
      args.steps = positive(program, init_options, value, "--steps", 1);
    } else if (flag == "--repeats") {
      args.repeats = positive(program, init_options, value, "--repeats", 1);
    } else if (init_options && flag == "--init") {
      args.init_file = value;
    } else if (init_options && flag == "--check-losses") {
      args.check_losses = positive(program, init_options, value, "--check-losses", 1);
    } else {
      fail(fmt::format("unknown option '{}'", flag));
    }
  }
  if (args.config == nullptr)
    fail("--config is required");
  if ((args.check_losses > 0) != !args.init_file.empty())
    fail("--init and --check-losses go together");
  return args;
}

inline double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

inline double process_cpu_ms() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) * 1e-6;
}

using Timings = std::vector<std::pair<std::string, std::vector<double>>>;

// Milliseconds per call of `body`, one figure per repeat, after `warmup` untimed calls, added to
// `timings` as `key` (wall clock: the figure compared) and as cpu_`key` (the CPU time of the
// whole process, all threads: on a loaded machine it says what the work cost, where the wall
// clock mostly says how busy the machine was).
template <class Body>
void time_ms(Timings& timings, const std::string& key, int warmup, int steps, int repeats,
             Body body) {
  for (int i = 0; i < warmup; ++i)
    body();
  std::vector<double> per_call, cpu_per_call;
  for (int r = 0; r < repeats; ++r) {
    const double cpu_start = process_cpu_ms();
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < steps; ++i)
      body();
    const std::chrono::duration<double, std::milli> elapsed =
        std::chrono::steady_clock::now() - start;
    per_call.push_back(elapsed.count() / steps);
    cpu_per_call.push_back((process_cpu_ms() - cpu_start) / steps);
  }
  timings.emplace_back(key, per_call);
  timings.emplace_back("cpu_" + key, cpu_per_call);
}

// The peak resident memory of this process image, in MiB: VmHWM from /proc/self/status, which
// execve resets. Not getrusage's ru_maxrss: Linux carries that over from the parent through fork
// and exec, so a small benchmark started by Python would report Python's size.
inline double peak_rss_mib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0)
      return std::strtod(line.c_str() + 6, nullptr) / 1024.0; // kB
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0; // ru_maxrss is in KiB on Linux
}

inline std::string json_list(const std::vector<double>& values) {
  std::string text = "[";
  for (std::size_t i = 0; i < values.size(); ++i)
    text += fmt::format("{}{:.9g}", i ? ", " : "", values[i]);
  return text + "]";
}

// The JSON line compare_mdn.py reads (`fields` are extra `"key": value` pairs, comma-led), or a
// line for a person.
inline void report(const char* side, const Config& c, int threads, int warmup, int steps,
                   int repeats, double loss_value, const Timings& timings, bool json,
                   const std::string& fields = "") {
  if (json) {
    std::string text =
        fmt::format(R"({{"side": "{}", "config": "{}", "threads": {}, "batch": {}, )"
                    R"("dims": [{}, {}, [{}], {}], "warmup": {}, "steps": {}, "repeats": {}, )"
                    R"("peak_rss_mib": {:.1f}, "final_loss": {:.9g}{})",
                    side, c.name, threads, c.batch, c.in, c.out, fmt::join(c.hidden, ", "),
                    c.components, warmup, steps, repeats, peak_rss_mib(), loss_value, fields);
    for (const auto& [key, values] : timings)
      text += fmt::format(R"(, "{}": {:.6g}, "{}_all": {})", key, median(values), key,
                          json_list(values));
    if (c.name != "infer")
      text += fmt::format(R"(, "samples_per_s": {:.6g})",
                          static_cast<double>(c.batch) * 1000.0 / median(timings.front().second));
    fmt::print("{}}}\n", text);
  } else {
    fmt::print("{} {}, batch {}, {} thread(s):", side, c.name, c.batch, threads);
    for (const auto& [key, values] : timings)
      fmt::print(" {} {:.4g}", key, median(values));
    if (c.name != "infer")
      fmt::print(" ({:.4g} samples/s)",
                 static_cast<double>(c.batch) * 1000.0 / median(timings.front().second));
    fmt::print(", peak RSS {:.1f} MiB\n", peak_rss_mib());
  }
}

} // namespace mdn_bench
