#pragma once
// Training progress on standard error: a bar that redraws itself in place when stderr is a
// terminal, and plain lines (about ten per run) when it is a file or a pipe, so logs stay short.
//
//   Progress progress("K=3", epochs);
//   options.on_epoch = [&](const mdn::EpochReport& r) { progress.update(r); };
//   mdn::train(...);  progress.finish();
#include <mdn/train.hpp>

#include <string>

namespace tapegrad::examples {

class Progress {
public:
  Progress(std::string label, std::int64_t epochs, bool quiet = false);
  void update(const mdn::EpochReport& report);
  void finish(); // ends the bar's line

private:
  std::string label_;
  std::int64_t epochs_;
  bool quiet_, terminal_;
  double seconds_ = 0;
  bool open_line_ = false;
};

} // namespace tapegrad::examples
