// The Communicator over MPI (nn/distributed.hpp), compiled when the build found MPI. Errors come
// back as return codes (MPI_ERRORS_RETURN) and are thrown as tapegrad::Error naming the call.
#include "nn/distributed.hpp"

#include "autograd/error.hpp"

#include <mpi.h>

#include <algorithm>
#include <cstdlib>
#include <vector>

namespace tapegrad::nn {

namespace {

void check(int code, const char* call, int rank, int size) {
  if (code == MPI_SUCCESS)
    return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  fail("MPI: {} failed on process {} of {}: {}", call, rank, size, std::string(text, length));
}

template <class T> MPI_Datatype mpi_type();
template <> MPI_Datatype mpi_type<float>() {
  return MPI_FLOAT;
}
template <> MPI_Datatype mpi_type<double>() {
  return MPI_DOUBLE;
}

// Values per message of the chain: large enough to amortise a message's latency, small enough
// that the ranks work on different chunks at once (the pipeline).
constexpr std::size_t kChunk = std::size_t{1} << 16;

class MpiWorld final : public Communicator {
public:
  MpiWorld() {
    int initialised = 0;
    MPI_Initialized(&initialised);
    if (!initialised) {
      check(MPI_Init(nullptr, nullptr), "MPI_Init", 0, 0);
      std::atexit([] {
        int finalised = 0;
        MPI_Finalized(&finalised);
        if (!finalised)
          MPI_Finalize();
      });
    }
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string name() const override { return fmt::format("MPI, {} processes", size_); }

  void ordered_sum(std::span<const std::span<const float>> shards,
                   std::span<float> total) override {
    chain_sum(shards, total);
  }
  void ordered_sum(std::span<const std::span<const double>> shards,
                   std::span<double> total) override {
    chain_sum(shards, total);
  }

  void broadcast(std::span<std::byte> bytes, int root) override {
    std::size_t done = 0;
    while (done < bytes.size()) { // MPI counts are ints: large buffers go in pieces
      const auto count = static_cast<int>(std::min<std::size_t>(bytes.size() - done, 1 << 30));
      check(MPI_Bcast(bytes.data() + done, count, MPI_BYTE, root, MPI_COMM_WORLD), "MPI_Bcast",
            rank_, size_);
      done += static_cast<std::size_t>(count);
    }
  }

  void barrier() override { check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier", rank_, size_); }

private:
  // The chain of nn/distributed.hpp, chunk by chunk: receive the fold of the shards before this
  // rank's, add this rank's shards in order, pass it on; the last rank broadcasts the total. A
  // first message says whether any shard came before (a rank with none only relays).
  template <class T>
  void chain_sum(std::span<const std::span<const T>> shards, std::span<T> total) {
    for (const std::span<const T>& shard : shards)
      if (shard.size() != total.size())
        fail("ordered_sum: a shard of {} values for a total of {}; expected every shard as long "
             "as the total",
             shard.size(), total.size());
    int folded_before = 0;
    if (rank_ > 0)
      check(MPI_Recv(&folded_before, 1, MPI_INT, rank_ - 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
            "MPI_Recv", rank_, size_);
    const int folded_after = folded_before || !shards.empty() ? 1 : 0;
    if (rank_ + 1 < size_)
      check(MPI_Send(&folded_after, 1, MPI_INT, rank_ + 1, 0, MPI_COMM_WORLD), "MPI_Send", rank_,
            size_);
    if (rank_ + 1 == size_ && !folded_after)
      fail("ordered_sum: no process passed a shard; expected at least one");
    for (std::size_t begin = 0; begin < total.size(); begin += kChunk) {
      const std::size_t end = std::min(total.size(), begin + kChunk);
      const auto count = static_cast<int>(end - begin);
      T* out = total.data() + begin;
      if (folded_before)
        check(MPI_Recv(out, count, mpi_type<T>(), rank_ - 1, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
              "MPI_Recv", rank_, size_);
      for (std::size_t s = 0; s < shards.size(); ++s) {
        const T* in = shards[s].data() + begin;
        if (s == 0 && !folded_before)
          std::copy(in, in + count, out);
        else
          for (int i = 0; i < count; ++i)
            out[i] += in[i];
      }
      if (folded_after && rank_ + 1 < size_)
        check(MPI_Send(out, count, mpi_type<T>(), rank_ + 1, 1, MPI_COMM_WORLD), "MPI_Send", rank_,
              size_);
    }
    broadcast(std::as_writable_bytes(total), size_ - 1);
  }

  int rank_ = 0, size_ = 1;
};

} // namespace

std::shared_ptr<Communicator> make_mpi_world() {
  return std::make_shared<MpiWorld>();
}

} // namespace tapegrad::nn
