#pragma once
// Independent jobs spread over the processes of a run (nn/distributed.hpp), then over each
// process's threads (mdn/parallel_jobs.hpp): the folds of a cross-validation, and so the trials of
// `mdn tune`, and the networks of an ensemble. Job i runs on process i % size; afterwards every
// process holds every job's result, broadcast from the process that ran it. A job depends on its
// index alone, so the results are the bits one process computes.
#include "nn/distributed.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>

namespace tapegrad::mdn {

// Runs job(i) for this process's i, then, for every i in order on every process, share(i, owner):
// the broadcasts from `owner` that give every process job i's result. When jobs fail, every
// process throws the Error of the lowest index (its message broadcast instead of the result) once
// all have ended. `processes` null or of one process: parallel_jobs(n, job), and no share.
void spread_jobs(std::int64_t n, nn::Communicator* processes,
                 const std::function<void(std::int64_t)>& job,
                 const std::function<void(std::int64_t, int owner)>& share);

// A result of bytes of a length every process knows before the jobs run: the share of
// spread_jobs that broadcasts `result(i)` from its owner.
std::function<void(std::int64_t, int)>
share_bytes(nn::Communicator* processes, std::function<std::span<std::byte>(std::int64_t)> result);

} // namespace tapegrad::mdn
