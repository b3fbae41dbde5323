// Prints the float FMA peak of this machine on 1 and 2 threads (fma_peak.hpp says how it is
// measured); bench/compare_mdn.py runs it before and after the MDN comparison.
//
//   fma_peak [--threads N[,N...]] [--seconds S] [--repeats R] [--json]
#include "fma_peak.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <string>
#include <vector>

namespace {

[[noreturn]] void usage(const std::string& why) {
  fmt::print(stderr,
             "fma_peak: {}\nusage: fma_peak [--threads N[,N...]] [--seconds S] [--repeats R] "
             "[--json]\n",
             why);
  std::exit(2);
}

std::vector<int> parse_threads(const std::string& text) {
  std::vector<int> threads;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, comma - start);
    char* end = nullptr;
    const long n = std::strtol(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || n < 1 || n > 1024)
      usage("--threads expects positive integers separated by commas, got '" + text + "'");
    threads.push_back(static_cast<int>(n));
    start = comma + 1;
  }
  return threads;
}

} // namespace

int main(int argc, char** argv) {
  std::vector<int> threads = {1, 2};
  double seconds = 0.2;
  int repeats = 5;
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--json") {
      json = true;
      continue;
    }
    if (i + 1 >= argc)
      usage(flag + " needs a value");
    const std::string value = argv[++i];
    char* end = nullptr;
    if (flag == "--threads") {
      threads = parse_threads(value);
    } else if (flag == "--seconds") {
      seconds = std::strtod(value.c_str(), &end);
      if (*end != '\0' || !(seconds > 0 && seconds <= 60))
        usage("--seconds expects a number in (0, 60], got '" + value + "'");
    } else if (flag == "--repeats") {
      const long r = std::strtol(value.c_str(), &end, 10);
      if (*end != '\0' || r < 1 || r > 1000)
        usage("--repeats expects a positive integer, got '" + value + "'");
      repeats = static_cast<int>(r);
    } else {
      usage("unknown option '" + flag + "'");
    }
  }

  std::string gflops, shares;
  for (const int t : threads) {
    const fma_peak::Peak p = fma_peak::measure(t, seconds, repeats);
    if (json) {
      const char* comma = gflops.empty() ? "" : ", ";
      gflops += fmt::format(R"({}"{}": {:.2f})", comma, t, p.gflops);
      shares += fmt::format(R"({}"{}": {:.3f})", comma, t, p.cpu_share);
    } else {
      fmt::print("FMA peak, {} thread(s): {:.1f} GFLOP/s (the process had {:.0f}% of {} core(s) "
                 "in that run)\n",
                 t, p.gflops, 100 * p.cpu_share, t);
    }
  }
  if (json)
    fmt::print(R"({{"arch": "{}", "lanes": {}, "chains": {}, "gflops": {{{}}}, )"
               R"("cpu_share": {{{}}}}})"
               "\n",
               fma_peak::arch_name(), fma_peak::kLanes, fma_peak::kChains, gflops, shares);
  else
    fmt::print("({} batches of {} floats, {} independent chains per thread)\n",
               fma_peak::arch_name(), fma_peak::kLanes, fma_peak::kChains);
  return 0;
}
