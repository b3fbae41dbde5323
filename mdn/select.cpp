#include "mdn/select.hpp"

#include <cmath>

namespace tapegrad::mdn {

OrderSelection select_components(const std::vector<std::int64_t>& components, MDNOptions options,
                                 const TrainOptions& train_options, const Tensor& x,
                                 const Tensor& y, const Tensor& x_val, const Tensor& y_val,
                                 std::uint64_t seed, bool init_from_targets, DType dtype,
                                 const std::function<void(std::int64_t)>& on_candidate) {
  if (components.empty())
    fail("select_components: expected at least one candidate number of components");
  if (!x_val.defined())
    fail("select_components: model-order selection needs validation data");
  OrderSelection selection;
  for (std::int64_t k : components) {
    if (on_candidate)
      on_candidate(k);
    options.components = k;
    Generator gen(seed);
    auto model = std::make_shared<MDN>(options, gen, dtype);
    if (init_from_targets)
      model->head().init_from_targets(y);
    TrainResult result = train(*model, x, y, x_val, y_val, train_options);
    const double best_so_far =
        selection.model ? selection.candidates[selection.best].val_nll : INFINITY;
    OrderCandidate& candidate = selection.candidates.emplace_back();
    candidate.components = k;
    candidate.val_nll = result.best_val_nll;
    candidate.best_epoch = result.best_epoch;
    candidate.model = model;
    candidate.result = std::move(result);
    if (selection.candidates.back().val_nll < best_so_far) {
      selection.best = selection.candidates.size() - 1;
      selection.model = model;
    }
    if (selection.candidates.back().result.stopped)
      return selection; // train_options.should_stop: the later candidates are not trained
  }
  if (!selection.model)
    fail("select_components: no candidate reached a finite validation NLL");
  return selection;
}

} // namespace tapegrad::mdn
