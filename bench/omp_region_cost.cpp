// What one OpenMP parallel region costs on this machine, after a stretch of serial work (as between
// the kernels of a training step): the time of `serial work + empty region` less that of the
// serial work alone, median of several rounds (a difference of two timings: within a few us of
// zero it is noise). bench/run runs it under OMP_WAIT_POLICY=PASSIVE, ACTIVE and unset: with
// PASSIVE idle threads sleep in the kernel and each region pays for waking them, which sets
// autograd/kernels/parallel.hpp's min_parallel_work().
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

volatile double sink;

// Work on the calling thread alone: about 2.5 ns per iteration.
void serial_work(std::int64_t iterations) {
  double s = 0;
  for (std::int64_t i = 0; i < iterations; ++i)
    s += std::sqrt(static_cast<double>(i));
  sink = s;
}

double microseconds_per_call(std::int64_t iterations, bool region, int calls) {
  const auto start = std::chrono::steady_clock::now();
  for (int c = 0; c < calls; ++c) {
    serial_work(iterations);
    if (region) {
#pragma omp parallel
      if (omp_get_thread_num() == 0) // one writer: the region's work is only its start and end
        sink = 0;
    }
  }
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
             .count() /
         calls;
}

} // namespace

int main() {
  const char* policy = std::getenv("OMP_WAIT_POLICY");
  std::printf("OMP_WAIT_POLICY=%s, %d threads\n", policy ? policy : "(unset)",
              omp_get_max_threads());
  for (std::int64_t iterations : {0, 2000, 20000, 200000}) {
    std::vector<double> serial, cost;
    for (int round = 0; round < 7; ++round) {
      const double alone = microseconds_per_call(iterations, false, 500);
      const double with_region = microseconds_per_call(iterations, true, 500);
      serial.push_back(alone);
      cost.push_back(with_region - alone);
    }
    std::nth_element(serial.begin(), serial.begin() + 3, serial.end());
    std::nth_element(cost.begin(), cost.begin() + 3, cost.end());
    std::printf("after %7.1f us of serial work: a parallel region costs %6.2f us\n", serial[3],
                cost[3]);
  }
}
