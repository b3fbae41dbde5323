// Run as one process and under `mpirun -np 2` and `-np 3` by the test in CMakeLists.txt: each rank
// takes its contiguous run of 7 shards of random floats (and doubles) and calls ordered_sum; the
// first rank writes the totals' bytes to the file named by argv[1]. The test compares the files:
// the sum must not depend on the number of processes, bit for bit. One process also checks that
// the total is the plain left fold.
#include "autograd/generator.hpp"
#include "nn/distributed.hpp"

#include <cstdio>
#include <fstream>
#include <vector>

namespace {

template <class T> std::vector<std::vector<T>> shards(std::uint64_t seed) {
  tapegrad::Generator gen(seed);
  // Not a multiple of the chain's chunk, and values of mixed magnitude, so order shows in the bits.
  std::vector<std::vector<T>> all(7, std::vector<T>(100003));
  for (auto& shard : all)
    for (T& v : shard)
      v = static_cast<T>(gen.normal() * (gen.uniform() < 0.1 ? 1e6 : 1e-3));
  return all;
}

template <class T>
std::vector<T> sum_of_mine(tapegrad::nn::Communicator& world, std::uint64_t seed) {
  const auto all = shards<T>(seed);
  const auto mine = tapegrad::nn::shards_of_rank(7, world.rank(), world.size());
  std::vector<std::span<const T>> views;
  for (std::int64_t s = mine.begin; s < mine.end; ++s)
    views.emplace_back(all[static_cast<std::size_t>(s)]);
  std::vector<T> total(all[0].size());
  world.ordered_sum(views, total);
  if (world.size() == 1) { // the fold, written out
    std::vector<T> fold = all[0];
    for (std::size_t s = 1; s < all.size(); ++s)
      for (std::size_t i = 0; i < fold.size(); ++i)
        fold[i] += all[s][i];
    if (fold != total)
      throw std::runtime_error("ordered_sum of one process is not the left fold");
  }
  return total;
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: ordered_sum_probe OUT\n");
    return 2;
  }
  const auto world = tapegrad::nn::world();
  const std::vector<float> f = sum_of_mine<float>(*world, 1);
  const std::vector<double> d = sum_of_mine<double>(*world, 2);
  world->barrier();
  if (world->rank() == 0) {
    std::ofstream out(argv[1], std::ios::binary);
    out.write(reinterpret_cast<const char*>(f.data()), static_cast<std::streamsize>(f.size() * 4));
    out.write(reinterpret_cast<const char*>(d.data()), static_cast<std::streamsize>(d.size() * 8));
    std::printf("ordered_sum_probe: %s, wrote %s\n", world->name().c_str(), argv[1]);
  }
  return 0;
}
