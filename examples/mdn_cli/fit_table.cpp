// fit_table: mdn::fit on a table's columns with what a person watching needs: a progress display
// per candidate K that labels its units and ends saying why training stopped, and --log.
#include "common/epoch_log.hpp"
#include "common/progress.hpp"
#include "mdn_cli/commands.hpp"

#include <mdn/recipe.hpp>
#include <nn/data.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <optional>

namespace tapegrad::examples {

mdn::FittedModel fit_table(const Table& table, mdn::FitOptions options, bool quiet,
                           const std::string& log_path) {
  const Tensor x = table.matrix(options.x_names), y = table.matrix(options.y_names);
  // The two row counts the flags decide, checked here so that the message names the flags.
  const std::int64_t rows = table.rows();
  const std::int64_t held_out =
      options.validation > 0 ? nn::validation_rows(rows, options.validation) : 0;
  if (options.validation > 0 && (held_out == 0 || held_out == rows))
    fail("{}: {} rows, of which --val {} holds out {}; expected enough rows for a non-empty "
         "training and validation part (or --val 0)",
         table.source, rows, options.validation, held_out);
  if (rows - held_out < options.train.batch_size)
    fail("{}: {} training rows ({} rows less {} held out by --val {}), fewer than one batch of "
         "--batch {}; expected at least {} training rows or a smaller --batch",
         table.source, rows - held_out, rows, held_out, options.validation,
         options.train.batch_size, options.train.batch_size);

  options.source = table.source;
  // One display per candidate K, of its first network's epochs (an ensemble's networks train side
  // by side); it starts at that network's first epoch, when the automatic budget and patience are
  // known. The log has every network's epochs.
  std::optional<Progress> progress;
  std::int64_t components = 0;
  EpochLog log(log_path, options.communicator ? options.communicator->size() : 1);
  const mdn::TrainOptions resolved = mdn::resolve_training(options.train, rows - held_out);
  ProgressSettings settings{.patience = resolved.patience,
                            .rows = rows - held_out,
                            .val_rows = held_out,
                            .y_name = fmt::format("{}", fmt::join(options.y_names, ",")),
                            .quiet = quiet};
  options.on_candidate = [&](std::int64_t k) {
    if (progress)
      progress->finish();
    progress.reset();
    components = k;
    settings.label = fmt::format("K={}", k); // an ensemble's first network (the summary says M)
  };
  options.train.on_epoch = [&](const mdn::EpochReport& r) {
    log.write(components, r);
    if (r.member != 0)
      return;
    if (!progress) {
      settings.epochs = r.epochs;
      progress.emplace(settings);
    }
    progress->update(r);
  };
  mdn::FittedModel fitted;
  try {
    fitted = mdn::fit(x, y, options);
  } catch (...) {
    if (progress)
      progress->abandon(); // the error line starts on a line of its own
    throw;
  }
  if (progress) {
    if (fitted.complete())
      progress->finish(&fitted.result);
    else
      progress->abandon();
  }
  return fitted;
}

} // namespace tapegrad::examples
