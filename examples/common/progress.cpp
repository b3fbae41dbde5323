#include "common/progress.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <unistd.h>

namespace tapegrad::examples {

namespace {

// A bar redrawn more often than this only costs time: nobody reads ten frames a second.
constexpr std::chrono::milliseconds kRedrawEvery{100};

std::string nll_text(double v) {
  return std::isnan(v) ? std::string("-") : fmt::format("{:.4f}", v);
}

} // namespace

Progress::Progress(ProgressSettings settings)
    : s_(std::move(settings)), terminal_(::isatty(STDERR_FILENO) != 0) {
  s_.epochs = std::max<std::int64_t>(s_.epochs, 1);
  if (s_.quiet)
    return;
  std::string rows = s_.rows > 0 ? fmt::format(" of {} rows", s_.rows) : "";
  std::string val =
      s_.val_rows > 0 ? fmt::format(", validating on {}", s_.val_rows) : ", no validation data";
  fmt::print(stderr, "{}: {} epochs{}{}; NLL in nats per point, in the units of {}{}\n", s_.label,
             s_.epochs, rows, val, s_.y_name,
             s_.val_rows > 0 ? "; * marks a new best validation NLL (the epoch kept so far)" : "");
  std::fflush(stderr);
}

void Progress::draw(const mdn::EpochReport& r) {
  const double per_epoch = seconds_ / static_cast<double>(std::max<std::int64_t>(r.epoch, 1));
  const double left =
      per_epoch * static_cast<double>(std::max<std::int64_t>(s_.epochs - r.epoch, 0));
  const std::string val = std::isnan(r.val_nll)
                              ? std::string()
                              : "  val NLL " + nll_text(r.val_nll) + (r.improved ? "*" : " ");
  if (terminal_) {
    constexpr int width = 24;
    const auto filled = static_cast<int>(width * std::min(r.epoch, s_.epochs) / s_.epochs);
    fmt::print(stderr, "\r{} [{}{}] {}/{}  train NLL {}{}  {:.0f} epochs/s  {:.0f}s left\x1b[K",
               s_.label, std::string(filled, '#'), std::string(width - filled, '.'), r.epoch,
               s_.epochs, nll_text(r.train_nll), val, per_epoch > 0 ? 1 / per_epoch : 0.0, left);
    open_line_ = true;
  } else {
    fmt::print(stderr, "{} epoch {}/{}  train NLL {}{}  ({:.1f}s, ~{:.0f}s left)\n", s_.label,
               r.epoch, s_.epochs, nll_text(r.train_nll), val, seconds_, left);
  }
  std::fflush(stderr);
}

void Progress::update(const mdn::EpochReport& r) {
  seconds_ += r.seconds;
  last_ = r;
  if (r.improved) {
    best_epoch_ = r.epoch;
    best_val_ = r.val_nll;
  }
  if (s_.quiet)
    return;
  bool due = false;
  if (terminal_) {
    const auto now = std::chrono::steady_clock::now();
    due = r.epoch == s_.epochs || now - last_draw_ >= kRedrawEvery;
    if (due)
      last_draw_ = now;
  } else {
    const std::int64_t every = std::max<std::int64_t>(1, s_.epochs / 10);
    due = r.epoch % every == 0 || r.epoch == 1 || r.epoch == s_.epochs;
  }
  drawn_last_ = due;
  if (due)
    draw(r);
}

void Progress::end_bar() {
  finished_ = true;
  // The epoch training stopped at is worth seeing, whatever the throttle skipped.
  if (!s_.quiet && last_ && !drawn_last_)
    draw(*last_);
  if (open_line_)
    std::fputc('\n', stderr);
  open_line_ = false;
}

void Progress::abandon() {
  if (!finished_)
    end_bar();
}

void Progress::finish(const mdn::TrainResult* result) {
  if (finished_)
    return;
  end_bar();
  if (s_.quiet)
    return;
  const std::int64_t ran =
      result ? static_cast<std::int64_t>(result->history.size()) : (last_ ? last_->epoch : 0);
  const std::int64_t kept = result ? result->best_epoch : best_epoch_;
  std::string why = fmt::format("ran all {} epochs", s_.epochs);
  if (ran < s_.epochs) // early stopping waits out its first epochs, so it can be more than patience
    why = fmt::format("early stopping after epoch {} (no better validation NLL in its last {} "
                      "epochs, {} {})",
                      ran, ran - kept, s_.patience_flag, s_.patience);
  const double kept_val = result ? result->best_val_nll : best_val_;
  std::string what;
  if (s_.val_rows > 0 && kept > 0)
    what = fmt::format("kept epoch {} (the best validation NLL, {:.4f} nats per point)", kept,
                       kept_val);
  else
    what = fmt::format("kept the last epoch, {} (no validation data to choose another)", ran);
  fmt::print(stderr, "{}: {}; {}\n", s_.label, why, what);
  std::fflush(stderr);
}

} // namespace tapegrad::examples
