// The communicator's all-reduce (nn::Communicator::ordered_sum, the pipelined chain of
// nn/distributed.hpp) timed on this machine: run under `mpirun -np N`, each process passes one
// shard of n floats, for n from 1 to 4M; process 0 prints one line per n with the median seconds
// per call. docs/scaling.md fits the latency alpha (small n) and the time per byte beta (large n)
// to these figures.
#include "nn/distributed.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

int main() {
  const auto world = tapegrad::nn::world();
  for (std::size_t n : {std::size_t{1}, std::size_t{1} << 10, std::size_t{1} << 14,
                        std::size_t{1} << 17, std::size_t{1} << 20, std::size_t{1} << 22}) {
    std::vector<float> shard(n, 1.0f), total(n);
    const std::span<const float> mine(shard);
    const int repeats = n <= (std::size_t{1} << 14) ? 2000 : n <= (std::size_t{1} << 17) ? 200 : 20;
    std::vector<double> seconds;
    for (int r = 0; r < repeats; ++r) {
      world->barrier();
      const auto start = std::chrono::steady_clock::now();
      world->ordered_sum(std::span<const std::span<const float>>(&mine, 1), total);
      seconds.push_back(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    std::nth_element(seconds.begin(), seconds.begin() + repeats / 2, seconds.end());
    if (world->rank() == 0)
      std::printf("{\"processes\": %d, \"floats\": %zu, \"bytes\": %zu, \"seconds\": %.9f}\n",
                  world->size(), n, n * sizeof(float),
                  seconds[static_cast<std::size_t>(repeats / 2)]);
  }
}
