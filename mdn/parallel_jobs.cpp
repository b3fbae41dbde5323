#include "mdn/parallel_jobs.hpp"

#include <exception>
#include <vector>

namespace tapegrad::mdn {

void parallel_jobs(std::int64_t n, const std::function<void(std::int64_t)>& job) {
  if (n <= 1) {
    if (n == 1)
      job(0);
    return;
  }
  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(n));
  // Dynamic: jobs differ in length (early stopping), and which thread runs a job does not matter.
#pragma omp parallel for schedule(dynamic, 1)
  for (std::int64_t i = 0; i < n; ++i) {
    try {
      job(i);
    } catch (...) { // an exception must not leave an OpenMP region
      errors[static_cast<std::size_t>(i)] = std::current_exception();
    }
  }
  for (const std::exception_ptr& e : errors)
    if (e)
      std::rethrow_exception(e);
}

} // namespace tapegrad::mdn
