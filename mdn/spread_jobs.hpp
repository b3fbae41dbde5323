#pragma once
// Independent jobs spread over the processes of a run (nn/distributed.hpp), then over each
// process's threads (mdn/parallel_jobs.hpp): the folds of a cross-validation, and so the trials of
// `mdn tune`. Job i runs on process i % size; afterwards every process holds every job's result,
// broadcast from the process that ran it. A job depends on its index alone, so the results are
// the bits one process computes.
#include "nn/distributed.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>

namespace tapegrad::mdn {

// Runs job(i) for this process's i, then broadcasts each job's `result(i)`: bytes of a length
// every process knows before the jobs run (storage each process holds for every job). When jobs
// fail, every process throws the Error of the lowest index (its message, broadcast like a result)
// once all have ended. `processes` null or of one process: parallel_jobs(n, job).
void spread_jobs(std::int64_t n, nn::Communicator* processes,
                 const std::function<void(std::int64_t)>& job,
                 const std::function<std::span<std::byte>(std::int64_t)>& result);

} // namespace tapegrad::mdn
