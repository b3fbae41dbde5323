#include "common/progress.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <unistd.h>

namespace tapegrad::examples {

Progress::Progress(std::string label, std::int64_t epochs, bool quiet)
    : label_(std::move(label)), epochs_(std::max<std::int64_t>(epochs, 1)), quiet_(quiet),
      terminal_(::isatty(STDERR_FILENO) != 0) {}

void Progress::update(const mdn::EpochReport& report) {
  if (quiet_)
    return;
  seconds_ += report.seconds;
  const double per_epoch = seconds_ / static_cast<double>(report.epoch);
  const double left = per_epoch * static_cast<double>(epochs_ - report.epoch);
  const std::string val =
      std::isnan(report.val_nll) ? std::string("-") : fmt::format("{:.4f}", report.val_nll);
  if (terminal_) {
    constexpr int width = 24;
    const int filled = static_cast<int>(width * report.epoch / epochs_);
    fmt::print(stderr,
               "\r{} [{}{}] {}/{}  train {:.4f}  val {}{}  {:.0f} epochs/s  {:.0f}s left\x1b[K",
               label_, std::string(filled, '#'), std::string(width - filled, '.'), report.epoch,
               epochs_, report.train_nll, val, report.improved ? "*" : " ",
               per_epoch > 0 ? 1 / per_epoch : 0.0, left);
    open_line_ = true;
  } else {
    const std::int64_t every = std::max<std::int64_t>(1, epochs_ / 10);
    if (report.epoch % every == 0 || report.epoch == 1 || report.epoch == epochs_)
      fmt::print(stderr, "{} epoch {}/{}  train nll {:.4f}  val nll {}  ({:.1f}s, ~{:.0f}s left)\n",
                 label_, report.epoch, epochs_, report.train_nll, val, seconds_, left);
  }
  std::fflush(stderr);
}

void Progress::finish() {
  if (open_line_)
    std::fputc('\n', stderr);
  open_line_ = false;
}

} // namespace tapegrad::examples
