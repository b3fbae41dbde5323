// End-to-end MDN throughput: one configuration per process, so that the peak resident memory
// (getrusage) belongs to that configuration alone. bench/pytorch_mdn.py (PyTorch) and
// bench/libtorch_mdn.cpp (LibTorch) are its twins, with the same configurations, steps and output
// (bench/mdn_harness.hpp); bench/compare_mdn.py runs all three and writes the table in
// bench/RESULTS.md.
//
//   mdn_train --config tiny|classic|wide|big|infer [--threads N] [--warmup W] [--steps S]
//             [--repeats R] [--json]
//
// A training step is what mdn::train does per batch, through the same public API: zero the
// gradients, the mean NLL of a fixed random batch, item() of the loss, backward, Adam step, clear
// the tape. After the warm-up steps, R repeats of S steps each are timed; the figures are medians
// over the repeats. `infer` is the classic model on 10,000 rows without a tape: the forward pass
// (the mixture's parameters), and drawing one sample per row from that mixture.
#include "mdn/mdn.hpp"
#include "nn/optim.hpp"

#include "mdn_harness.hpp"

#include <fmt/format.h>
#include <omp.h>
#include <pmmintrin.h>
#include <xmmintrin.h>

#include <exception>

using namespace tapegrad;

int main(int argc, char** argv) try {
  const mdn_bench::Args args = mdn_bench::parse(argc, argv, "mdn_train", false);
  const mdn_bench::Config& c = *args.config;
  const int warmup = args.warmup >= 0 ? args.warmup : c.warmup;
  const int steps = args.steps > 0 ? args.steps : c.steps;
  const int repeats = args.repeats > 0 ? args.repeats : c.repeats;

  // Denormals slow float arithmetic badly; PyTorch's side calls set_flush_denormal(True). Threads
  // that OpenMP starts later inherit this thread's MXCSR.
  _MM_SET_FLUSH_ZERO_MODE(_MM_FLUSH_ZERO_ON);
  _MM_SET_DENORMALS_ZERO_MODE(_MM_DENORMALS_ZERO_ON);
  omp_set_num_threads(args.threads);

  Generator gen(20261202);
  mdn::MDN model(
      {.in_features = c.in, .out_dim = c.out, .components = c.components, .hidden = c.hidden}, gen);
  const Tensor x = randn({c.batch, c.in}, gen);
  const Tensor y = randn({c.batch, c.out}, gen);

  // Each figure is a median over the repeats; its list of repeats goes into the JSON too.
  mdn_bench::Timings timings;
  double loss_value = 0;
  if (c.name == "infer") {
    model.eval();
    NoGradGuard no_grad;
    Generator draws(7);
    const mdn::Mixture mixture = model.mixture(x);
    mdn_bench::time_ms(timings, "forward_ms", warmup, steps, repeats,
                       [&] { (void)model.mixture(x); });
    mdn_bench::time_ms(timings, "sample_ms", warmup, steps, repeats,
                       [&] { (void)mdn::sample(mixture, 1, draws); });
    mdn_bench::time_ms(timings, "forward_sample_ms", warmup, steps, repeats,
                       [&] { (void)mdn::sample(model.mixture(x), 1, draws); });
  } else {
    model.train();
    nn::Adam adam(model.parameters(), {.lr = 1e-3});
    mdn_bench::time_ms(timings, "ms_per_step", warmup, steps, repeats, [&] {
      adam.zero_grad();
      const Tensor loss = model.nll(x, y);
      loss_value = loss.item<double>();
      loss.backward();
      adam.step();
      clear_tape();
    });
  }

  mdn_bench::report("tapegrad", c, args.threads, warmup, steps, repeats, loss_value, timings,
                    args.json);
  return 0;
} catch (const std::exception& e) {
  fmt::print(stderr, "mdn_train: error: {}\n", e.what());
  return 1;
}
