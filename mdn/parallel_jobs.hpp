#pragma once
// Independent jobs over the cores: the members of an ensemble, the folds of a cross-validation.
// Each job runs on one OpenMP thread, records on that thread's own tape (the tape is one per
// thread) and runs its kernels single-threaded inside the parallel region, so jobs never share
// mutable state. A job must depend on its index alone: then its result, and the fit's, is the
// same bits whatever the number of threads and whichever thread runs it.
#include <cstdint>
#include <functional>

namespace tapegrad::mdn {

// Runs job(i) for every i in [0, n). One job runs on the calling thread, with its kernels free
// to use every thread. When jobs fail, the error of the lowest index is rethrown once all have
// ended.
void parallel_jobs(std::int64_t n, const std::function<void(std::int64_t)>& job);

} // namespace tapegrad::mdn
