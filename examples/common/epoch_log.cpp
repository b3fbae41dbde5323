#include "common/epoch_log.hpp"

#include "common/json.hpp"

#include <autograd/error.hpp>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

namespace tapegrad::examples {

EpochLog::EpochLog(std::string path, int processes)
    : path_(std::move(path)), processes_(processes) {}

EpochLog::~EpochLog() {
  if (file_ != nullptr)
    std::fclose(file_);
}

void EpochLog::write(std::int64_t components, const mdn::EpochReport& r) {
  if (path_.empty())
    return;
  if (file_ == nullptr) {
    file_ = std::fopen(path_.c_str(), "wb");
    if (file_ == nullptr)
      fail("--log '{}': cannot write it: {}", path_, std::strerror(errno));
  }
  const std::string line = json_object({{"components", fmt::format("{}", components)},
                                        {"network", fmt::format("{}", r.member)},
                                        {"epoch", fmt::format("{}", r.epoch)},
                                        {"step", fmt::format("{}", r.step)},
                                        {"train_nll", json_number(r.train_nll)},
                                        {"val_nll", json_number(r.val_nll)},
                                        {"best", r.improved ? "true" : "false"},
                                        {"lr", json_number(r.lr)},
                                        {"seconds", fmt::format("{:.6f}", r.seconds)},
                                        {"processes", fmt::format("{}", processes_)}}) +
                           "\n";
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fflush(file_) != 0)
    fail("--log '{}': cannot write it: {}", path_, std::strerror(errno));
}

} // namespace tapegrad::examples
