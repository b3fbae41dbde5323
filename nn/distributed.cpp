#include "nn/distributed.hpp"

#include "autograd/error.hpp"

#include <algorithm>
#include <cstdlib>

namespace tapegrad::nn {

namespace {

template <class T>
void fold(std::span<const std::span<const T>> shards, std::span<T> total, const char* op) {
  if (shards.empty())
    fail("{}: no shards to sum; expected at least one", op);
  for (const std::span<const T>& shard : shards)
    if (shard.size() != total.size())
      fail("{}: a shard of {} values for a total of {}; expected every shard as long as the total",
           op, shard.size(), total.size());
  std::copy(shards[0].begin(), shards[0].end(), total.begin());
  for (std::size_t s = 1; s < shards.size(); ++s)
    for (std::size_t i = 0; i < total.size(); ++i)
      total[i] += shards[s][i];
}

// Launchers announce the size of the job in the environment of each process they start.
int launched_processes() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"})
    if (const char* value = std::getenv(name))
      return std::max(1, std::atoi(value));
  return 1;
}

} // namespace

void SingleProcess::ordered_sum(std::span<const std::span<const float>> shards,
                                std::span<float> total) {
  fold(shards, total, "ordered_sum");
}

void SingleProcess::ordered_sum(std::span<const std::span<const double>> shards,
                                std::span<double> total) {
  fold(shards, total, "ordered_sum");
}

void SingleProcess::broadcast(std::span<std::byte>, int root) {
  if (root != 0)
    fail("broadcast: root {} in a run of one process; expected 0", root);
}

ShardRange shards_of_rank(std::int64_t shards, int rank, int size) {
  if (size < 1 || rank < 0 || rank >= size || shards < 0)
    fail("shards_of_rank: rank {} of {} for {} shards; expected 0 <= rank < size and shards >= 0",
         rank, size, shards);
  const std::int64_t base = shards / size, extra = shards % size;
  const std::int64_t begin = rank * base + std::min<std::int64_t>(rank, extra);
  return {begin, begin + base + (rank < extra ? 1 : 0)};
}

#ifndef TAPEGRAD_WITH_MPI
bool built_with_mpi() {
  return false;
}

std::shared_ptr<Communicator> world() {
  if (const int n = launched_processes(); n > 1)
    fail("this build of tapegrad has no MPI (it was not found when the build was configured), "
         "but it was started as one of {} processes; install libopenmpi-dev and rebuild, or run "
         "one process",
         n);
  static const auto single = std::make_shared<SingleProcess>();
  return single;
}
#else
std::shared_ptr<Communicator> make_mpi_world(); // distributed_mpi.cpp

bool built_with_mpi() {
  return true;
}

std::shared_ptr<Communicator> world() {
  static const std::shared_ptr<Communicator> processes =
      launched_processes() > 1 ? make_mpi_world()
                               : std::shared_ptr<Communicator>(std::make_shared<SingleProcess>());
  return processes;
}
#endif

} // namespace tapegrad::nn
