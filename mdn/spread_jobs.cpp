#include "mdn/spread_jobs.hpp"

#include "autograd/error.hpp"
#include "mdn/parallel_jobs.hpp"

#include <exception>
#include <string>
#include <vector>

namespace tapegrad::mdn {

void spread_jobs(std::int64_t n, nn::Communicator* processes,
                 const std::function<void(std::int64_t)>& job,
                 const std::function<void(std::int64_t, int owner)>& share) {
  if (processes == nullptr || processes->size() == 1) {
    parallel_jobs(n, job);
    return;
  }
  const int rank = processes->rank(), size = processes->size();
  std::vector<std::int64_t> mine;
  for (std::int64_t i = rank; i < n; i += size)
    mine.push_back(i);
  // A failed job's message, kept for the broadcast: the others must hear of it, or they would
  // wait for results that never come.
  std::vector<std::string> errors(static_cast<std::size_t>(n));
  parallel_jobs(static_cast<std::int64_t>(mine.size()), [&](std::int64_t k) {
    const std::int64_t i = mine[static_cast<std::size_t>(k)];
    try {
      job(i);
    } catch (const std::exception& e) {
      errors[static_cast<std::size_t>(i)] = e.what();
      if (errors[static_cast<std::size_t>(i)].empty())
        errors[static_cast<std::size_t>(i)] = "a job failed";
    }
  });
  std::string first_error;
  for (std::int64_t i = 0; i < n; ++i) {
    const int owner = static_cast<int>(i % size);
    std::string& error = errors[static_cast<std::size_t>(i)];
    std::uint64_t length = error.size();
    processes->broadcast(std::as_writable_bytes(std::span<std::uint64_t>(&length, 1)), owner);
    if (length == 0) {
      share(i, owner);
      continue;
    }
    error.resize(length);
    processes->broadcast(std::as_writable_bytes(std::span<char>(error)), owner);
    if (first_error.empty())
      first_error = error;
  }
  if (!first_error.empty())
    fail("{}", first_error);
}

std::function<void(std::int64_t, int)>
share_bytes(nn::Communicator* processes, std::function<std::span<std::byte>(std::int64_t)> result) {
  return [processes, result = std::move(result)](std::int64_t i, int owner) {
    processes->broadcast(result(i), owner);
  };
}

} // namespace tapegrad::mdn
