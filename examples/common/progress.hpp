#pragma once
// Training progress on standard error, every NLL labelled with its units (nats per point of y, in
// y's own units, as mdn::fit reports them):
//
//   K=3: 1000 epochs of 900 rows, validating on 100; NLL in nats per point of t (data units);
//        * marks a new best validation NLL (the epoch kept so far)
//   K=3 [########................] 330/1000  train NLL -0.8123  val NLL -0.9012*  ...
//   K=3: early stopping after epoch 412 (no better validation NLL in its last 50 epochs,
//        --patience 50); kept epoch 362 (validation NLL -1.2345 nats per point)
//
// On a terminal the bar redraws itself in place, at most ten times a second; in a file or a pipe
// it prints plain lines, about ten per run. The last line says why training stopped and which
// epoch the model is from.
//
//   Progress progress({.label = "K=3", .epochs = 1000, ...});
//   options.on_epoch = [&](const mdn::EpochReport& r) { progress.update(r); };
//   mdn::fit(...);  progress.finish(&fitted.result);
#include <mdn/train.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace tapegrad::examples {

struct ProgressSettings {
  std::string label = "mdn";                // "K=3"
  std::int64_t epochs = 1;                  // the budget
  std::int64_t patience = 0;                // 0: no early stopping
  std::int64_t rows = 0;                    // training rows (0: not said)
  std::int64_t val_rows = 0;                // validation rows (0: no validation)
  std::string y_name = "y";                 // whose units the NLL is in
  std::string patience_flag = "--patience"; // how the user sets it, for the last line
  bool quiet = false;
};

class Progress {
public:
  explicit Progress(ProgressSettings settings);
  void update(const mdn::EpochReport& report);
  // Ends the bar and prints the last line: why training stopped and which epoch was kept. The
  // kept epoch and its NLL come from `result` when given (a resumed run's best may be older
  // than what this display saw), otherwise from the epochs seen.
  void finish(const mdn::TrainResult* result = nullptr);
  // Training was stopped by a signal: the bar ends without a line of its own (the caller says
  // where the checkpoint went).
  void abandon();

private:
  void draw(const mdn::EpochReport& report);
  void end_bar();
  ProgressSettings s_;
  bool terminal_;
  double seconds_ = 0;
  std::optional<mdn::EpochReport> last_;
  bool drawn_last_ = false, open_line_ = false, finished_ = false;
  std::int64_t best_epoch_ = 0;
  double best_val_ = 0;
  std::chrono::steady_clock::time_point last_draw_{};
};

} // namespace tapegrad::examples
