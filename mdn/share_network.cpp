#include "mdn/share_network.hpp"

#include <cstddef>
#include <span>
#include <vector>

namespace tapegrad::mdn {

namespace {

std::span<std::byte> bytes_of(const Tensor& t) {
  const std::size_t size = t.dtype() == kFloat32 ? sizeof(float) : sizeof(double); // int64 too
  void* data = t.dtype() == kFloat32   ? static_cast<void*>(t.data_ptr<float>())
               : t.dtype() == kFloat64 ? static_cast<void*>(t.data_ptr<double>())
                                       : static_cast<void*>(t.data_ptr<std::int64_t>());
  return {static_cast<std::byte*>(data), static_cast<std::size_t>(t.numel()) * size};
}

// An epoch's report as numbers, and back.
constexpr std::size_t kReportValues = 9;

void put(const EpochReport& r, double* out) {
  const double values[kReportValues] = {static_cast<double>(r.epoch),
                                        static_cast<double>(r.epochs),
                                        static_cast<double>(r.member),
                                        r.train_nll,
                                        r.val_nll,
                                        r.improved ? 1.0 : 0.0,
                                        r.seconds,
                                        static_cast<double>(r.step),
                                        r.lr};
  std::copy(values, values + kReportValues, out);
}

EpochReport get(const double* in) {
  return {.epoch = static_cast<std::int64_t>(in[0]),
          .epochs = static_cast<std::int64_t>(in[1]),
          .member = static_cast<std::int64_t>(in[2]),
          .train_nll = in[3],
          .val_nll = in[4],
          .improved = in[5] != 0,
          .seconds = in[6],
          .step = static_cast<std::int64_t>(in[7]),
          .lr = in[8]};
}

} // namespace

void share_network(NetworkFit& fit, const MDNOptions& options, DType dtype,
                   nn::Communicator& processes, int owner) {
  const bool mine = processes.rank() == owner;
  if (!mine) {
    Generator unused(0); // the owner's values replace the initial weights
    fit.model = std::make_shared<MDN>(options, unused, dtype);
    fit.model->eval();
  }
  for (const auto& [name, tensor] : fit.model->state_dict())
    processes.broadcast(bytes_of(tensor), owner);

  // The result: best epoch, stopped and the number of epochs, then the best NLL and the history.
  std::int64_t counts[3] = {fit.result.best_epoch, fit.result.stopped ? 1 : 0,
                            static_cast<std::int64_t>(fit.result.history.size())};
  processes.broadcast(std::as_writable_bytes(std::span<std::int64_t>(counts)), owner);
  std::vector<double> values(1 + kReportValues * static_cast<std::size_t>(counts[2]));
  if (mine) {
    values[0] = fit.result.best_val_nll;
    for (std::size_t e = 0; e < fit.result.history.size(); ++e)
      put(fit.result.history[e], &values[1 + kReportValues * e]);
  }
  processes.broadcast(std::as_writable_bytes(std::span<double>(values)), owner);
  if (mine)
    return;
  fit.result = TrainResult{};
  fit.result.best_epoch = counts[0];
  fit.result.stopped = counts[1] != 0;
  fit.result.best_val_nll = values[0];
  for (std::int64_t e = 0; e < counts[2]; ++e)
    fit.result.history.push_back(get(&values[1 + kReportValues * static_cast<std::size_t>(e)]));
}

} // namespace tapegrad::mdn
