#pragma once
// Data-parallel training over several processes: every process holds the whole model, computes the
// gradients of its share of each batch, and a Communicator combines them, so that every process
// takes the same optimiser step. Launched by `mpirun -np N`, the processes talk over MPI (when the
// build found it: TAPEGRAD_WITH_MPI); otherwise there is one process and nothing to talk to.
//
// The sum of the gradients is the one place where the number of processes could change the bits
// of a model, because floating-point addition is not associative. So the sum has one fixed order:
// a batch is cut into shards whose number and size depend on the batch alone, and the shards'
// gradients are added as one left fold over the global shard order,
//
//   total = ((g_0 + g_1) + g_2) + ... + g_{S-1},
//
// whichever process computed each g_s. One process folds them as it computes them; N processes
// hold contiguous runs of shards (rank 0 the first run, rank 1 the next...), and the fold travels
// along the ranks as a chain: rank r receives the fold of every shard before its run, adds its own
// shards one by one, and passes it on; the last rank has the total and broadcasts it. That is a
// pipelined chain reduction (the data go along the ranks in chunks, so every link carries the
// buffer once, as in a ring all-reduce's reduce-scatter half); docs/scaling.md models its cost.
//
//   auto world = nn::world();   // MPI under mpirun, else the single process
//   world->ordered_sum(my_shards, total);
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace tapegrad::nn {

class Communicator {
public:
  virtual ~Communicator() = default;

  virtual int rank() const = 0; // 0 ... size() - 1
  virtual int size() const = 0;
  virtual std::string name() const = 0; // "MPI, 3 processes", "one process"

  // The left fold of every rank's shards, rank 0's first, each rank's in the order it passes them,
  // written to `total` on every rank. Each shard and `total` have the same length on every rank; a
  // rank may pass no shards (it then only relays the fold). At least one rank must pass one.
  virtual void ordered_sum(std::span<const std::span<const float>> shards,
                           std::span<float> total) = 0;
  virtual void ordered_sum(std::span<const std::span<const double>> shards,
                           std::span<double> total) = 0;

  // Copies root's bytes to every rank (every rank passes a buffer of the same length).
  virtual void broadcast(std::span<std::byte> bytes, int root) = 0;
  // Returns when every rank has called it.
  virtual void barrier() = 0;
};

// The one process of a run without MPI: ordered_sum is the left fold of the shards given.
class SingleProcess final : public Communicator {
public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::string name() const override { return "one process"; }
  void ordered_sum(std::span<const std::span<const float>> shards, std::span<float> total) override;
  void ordered_sum(std::span<const std::span<const double>> shards,
                   std::span<double> total) override;
  void broadcast(std::span<std::byte>, int root) override;
  void barrier() override {}
};

// The processes of this run: MPI's world when the program was started by mpirun (or another MPI
// launcher) and the build has MPI, the single process otherwise. MPI is initialised on the first
// call and finalised at exit. Throws an Error when mpirun started several processes but the build
// has no MPI (each would train alone, which is never what was meant).
std::shared_ptr<Communicator> world();

// Whether this build can talk MPI (it found MPI at configure time).
bool built_with_mpi();

// Shards [begin, end) of `shards`, split as evenly as possible into contiguous runs, one per rank
// in rank order (the first `shards % size` ranks get one more).
struct ShardRange {
  std::int64_t begin = 0, end = 0;
};
ShardRange shards_of_rank(std::int64_t shards, int rank, int size);

} // namespace tapegrad::nn
