// Kernel micro-benchmarks, each beside its reference measured in the same run: GEMM against
// OpenBLAS sgemm and against the machine's FMA peak (fma_peak.hpp), element-wise add/mul against a
// streaming copy (memcpy), exp/log/tanh against the scalar std:: loop, row-wise logsumexp against
// the reference loop, and the cost of one tape record (forward and backward of an op on a
// one-element tensor). Every case runs on 1 and 2 threads (OpenMP for ours, OpenBLAS's own threads
// for it). After Google Benchmark's table, a summary prints the medians as ratios, with issue 16's
// targets. bench/run is the driver: it picks OpenBLAS's best kernel set and sets
// OMP_WAIT_POLICY=PASSIVE.
#include "autograd/autograd.hpp"
#include "autograd/kernels/elementwise_ops.hpp"
#include "autograd/kernels/elementwise_simd.hpp"
#include "autograd/kernels/gemm.hpp"
#include "autograd/kernels/reduce_simd.hpp"

#include "fma_peak.hpp"

#include <benchmark/benchmark.h>
#include <cblas.h>
#include <fmt/format.h>
#include <omp.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include <unistd.h>

extern "C" {
void openblas_set_num_threads(int threads);
char* openblas_get_corename(void);
}

using namespace tapegrad;
using namespace tapegrad::kernels;

namespace {

void set_threads(int threads) {
  omp_set_num_threads(threads);
  openblas_set_num_threads(threads);
}

std::vector<float> random_floats(std::int64_t n, std::uint64_t seed, float lo, float hi) {
  Generator gen(seed);
  std::vector<float> v(static_cast<std::size_t>(n));
  for (float& x : v)
    x = lo + (hi - lo) * static_cast<float>(gen.uniform());
  return v;
}

// ----- GEMM -----

struct GemmShape {
  std::string name;
  bool ta, tb;
  std::int64_t m, n, k;
};

void bench_gemm(benchmark::State& state, GemmShape s, bool openblas, int threads) {
  set_threads(threads);
  const std::int64_t lda = s.ta ? s.m : s.k, ldb = s.tb ? s.k : s.n;
  const auto a = random_floats(s.m * s.k, 1, -1, 1), b = random_floats(s.k * s.n, 2, -1, 1);
  std::vector<float> c(static_cast<std::size_t>(s.m * s.n));
  const GemmArgs g{s.ta, s.tb, s.m, s.n, s.k, lda, ldb, s.n};
  for (auto _ : state) {
    if (openblas)
      cblas_sgemm(CblasRowMajor, s.ta ? CblasTrans : CblasNoTrans, s.tb ? CblasTrans : CblasNoTrans,
                  static_cast<int>(s.m), static_cast<int>(s.n), static_cast<int>(s.k), 1.f,
                  a.data(), static_cast<int>(lda), b.data(), static_cast<int>(ldb), 0.f, c.data(),
                  static_cast<int>(s.n));
    else
      gemm<float>(g, 1.f, a.data(), b.data(), 0.f, c.data());
    benchmark::ClobberMemory();
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * static_cast<double>(s.m * s.n * s.k),
                                                 benchmark::Counter::kIsIterationInvariantRate,
                                                 benchmark::Counter::kIs1000);
}

// ----- the FMA peak -----

void bench_fma_peak(benchmark::State& state, int threads) {
  const std::int64_t iterations = 1 << 16; // about 0.3 ms of FMAs per thread
  float sink = 0;
  for (auto _ : state)
    fma_peak::time_threads(threads, iterations, &sink);
  benchmark::DoNotOptimize(sink);
  state.counters["GFLOP/s"] = benchmark::Counter(
      fma_peak::kFlopsPerIteration * static_cast<double>(iterations) * threads,
      benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
}

// ----- element-wise -----

enum class Stream { Copy, Add, Mul };

void bench_stream(benchmark::State& state, Stream kind, std::int64_t bytes, int threads) {
  set_threads(threads);
  const std::int64_t n = bytes / 4;
  const auto a = random_floats(n, 3, -1, 1), b = random_floats(n, 4, -1, 1);
  std::vector<float> z(static_cast<std::size_t>(n));
  BroadcastPlan plan;
  plan.rank = 1;
  plan.size[0] = n;
  plan.stride_a[0] = plan.stride_b[0] = 1;
  plan.numel = n;
  for (auto _ : state) {
    if (kind == Stream::Copy)
      std::memcpy(z.data(), a.data(), static_cast<std::size_t>(bytes));
    else if (kind == Stream::Add)
      binary_forward<add_op>(a.data(), b.data(), z.data(), plan);
    else
      binary_forward<mul_op>(a.data(), b.data(), z.data(), plan);
    benchmark::ClobberMemory();
  }
  const double moved = static_cast<double>(bytes) * (kind == Stream::Copy ? 2 : 3);
  state.counters["GB/s"] = benchmark::Counter(moved, benchmark::Counter::kIsIterationInvariantRate,
                                              benchmark::Counter::kIs1000);
}

// scalar_std: the loop a user would write with <cmath> (std_fn), not the op table's own scalar
// expression (for float tanh that is a rational approximation the compiler vectorises).
template <class Op>
void bench_unary(benchmark::State& state, bool scalar_std, float (*std_fn)(float), int threads) {
  set_threads(threads);
  const std::int64_t n = 1 << 16; // 256 KiB: in L2, so the arithmetic is measured
  const bool positive = std::strcmp(Op::name, "log") == 0;
  const auto x = random_floats(n, 5, positive ? 0.1f : -3.f, 3.f);
  std::vector<float> y(static_cast<std::size_t>(n));
  for (auto _ : state) {
    if (scalar_std) {
      for (std::int64_t i = 0; i < n; ++i)
        y[static_cast<std::size_t>(i)] = std_fn(x[static_cast<std::size_t>(i)]);
    } else {
      unary_forward<Op>(x.data(), y.data(), n, 0.f, 0.f);
    }
    benchmark::ClobberMemory();
  }
  state.counters["Gelem/s"] =
      benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate,
                         benchmark::Counter::kIs1000);
}

void bench_logsumexp(benchmark::State& state, std::int64_t rows, std::int64_t cols, bool reference,
                     int threads) {
  set_threads(threads);
  const auto x = random_floats(rows * cols, 6, -5, 5);
  std::vector<float> y(static_cast<std::size_t>(rows));
  const AxisView v{rows, cols, 1};
  for (auto _ : state) {
    if (reference)
      logsumexp_axis_forward_reference(x.data(), y.data(), v);
    else
      logsumexp_axis_forward(x.data(), y.data(), v);
    benchmark::ClobberMemory();
  }
  state.counters["Gelem/s"] = benchmark::Counter(static_cast<double>(rows * cols),
                                                 benchmark::Counter::kIsIterationInvariantRate,
                                                 benchmark::Counter::kIs1000);
}

// ----- the tape -----

void bench_tape_record(benchmark::State& state) {
  set_threads(1);
  clear_tape();
  Tensor x = scalar_tensor(0.5).requires_grad_();
  for (auto _ : state) {
    Tensor y = x * 3.0; // one record: mul_scalar
    y.backward();
    clear_tape();
  }
  benchmark::DoNotOptimize(x.grad().item<float>());
}

// ----- the summary -----

// Keeps the median of every case, by name, as Google Benchmark reports it.
class Collector : public benchmark::ConsoleReporter {
public:
  explicit Collector(OutputOptions options) : ConsoleReporter(options) {}
  std::map<std::string, benchmark::BenchmarkReporter::Run> medians;
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs)
      if (run.run_type == Run::RT_Aggregate && run.aggregate_name == "median")
        medians[key(run)] = run;
      else if (run.run_type == Run::RT_Iteration && !medians.count(key(run)))
        medians[key(run)] = run; // without repetitions there is no median
    ConsoleReporter::ReportRuns(runs);
  }
  static std::string key(const Run& run) { // the registered name, without "/real_time"
    std::string name = run.run_name.str();
    const std::string suffix = "/real_time";
    if (name.size() > suffix.size() && name.ends_with(suffix))
      name.resize(name.size() - suffix.size());
    return name;
  }
  // In units of 10^9 per second, as the summary prints them.
  double counter(const std::string& name, const char* which) const {
    const auto it = medians.find(name);
    if (it == medians.end())
      return NAN;
    const auto c = it->second.counters.find(which);
    return c == it->second.counters.end() ? NAN : c->second.value / 1e9;
  }
  double nanoseconds(const std::string& name) const {
    const auto it = medians.find(name);
    return it == medians.end() ? NAN : it->second.GetAdjustedRealTime();
  }
};

std::string bytes_name(std::int64_t bytes) {
  return bytes >= (1 << 20) ? fmt::format("{}MiB", bytes >> 20) : fmt::format("{}KiB", bytes >> 10);
}

const char* verdict(double ratio, double target) {
  return std::isnan(ratio) ? "n/a" : ratio >= target ? "met" : "MISSED";
}

} // namespace

int main(int argc, char** argv) {
  const GemmInfo info = gemm_info<float>();
  const char* coretype = std::getenv("OPENBLAS_CORETYPE");
  fmt::print("tapegrad kernels: SIMD arch {}, float GEMM micro-tile {}x{}, kc {}\n", info.arch,
             info.mr, info.nr, info.kc);
  fmt::print("OpenBLAS core: {} (OPENBLAS_CORETYPE={}); OMP_WAIT_POLICY={}\n",
             openblas_get_corename(), coretype ? coretype : "unset",
             std::getenv("OMP_WAIT_POLICY") ? std::getenv("OMP_WAIT_POLICY") : "unset");

  const std::vector<int> thread_counts = {1, 2};
  std::vector<GemmShape> gemm_shapes;
  for (std::int64_t n : {64, 128, 256, 512, 1024, 2048})
    gemm_shapes.push_back({fmt::format("square{}", n), false, false, n, n, n});
  // A linear layer of 256 -> 256 on a batch of 4096: forward X W^T, dX = dY W, dW = dY^T X.
  gemm_shapes.push_back({"mlp_fwd_XWt_4096x256x256", false, true, 4096, 256, 256});
  gemm_shapes.push_back({"mlp_dX_dYW_4096x256x256", false, false, 4096, 256, 256});
  gemm_shapes.push_back({"mlp_dW_dYtX_256x256x4096", true, false, 256, 256, 4096});
  const std::vector<std::int64_t> stream_bytes = {16 << 10, 256 << 10, 4 << 20, 64 << 20};

  for (int t : thread_counts) {
    benchmark::RegisterBenchmark(fmt::format("peak/fma/threads:{}", t).c_str(), bench_fma_peak, t)
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
    for (const GemmShape& s : gemm_shapes)
      for (bool openblas : {false, true})
        benchmark::RegisterBenchmark(
            fmt::format("gemm/{}/{}/threads:{}", s.name, openblas ? "openblas" : "ours", t).c_str(),
            bench_gemm, s, openblas, t)
            ->Unit(benchmark::kMicrosecond)
            ->UseRealTime();
    for (std::int64_t bytes : stream_bytes)
      for (auto [kind, name] : {std::pair{Stream::Copy, "copy"}, std::pair{Stream::Add, "add"},
                                std::pair{Stream::Mul, "mul"}})
        benchmark::RegisterBenchmark(
            fmt::format("stream/{}/{}/threads:{}", name, bytes_name(bytes), t).c_str(),
            bench_stream, kind, bytes, t)
            ->Unit(benchmark::kMicrosecond)
            ->UseRealTime();
    benchmark::RegisterBenchmark(fmt::format("logsumexp/4096x64/ours/threads:{}", t).c_str(),
                                 bench_logsumexp, 4096, 64, false, t)
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
  }
  for (bool scalar : {false, true}) {
    const char* side = scalar ? "std" : "ours";
    benchmark::RegisterBenchmark(
        fmt::format("unary/exp/{}", side).c_str(), bench_unary<exp_op>, scalar,
        [](float v) { return std::exp(v); }, 1);
    benchmark::RegisterBenchmark(
        fmt::format("unary/log/{}", side).c_str(), bench_unary<log_op>, scalar,
        [](float v) { return std::log(v); }, 1);
    benchmark::RegisterBenchmark(
        fmt::format("unary/tanh/{}", side).c_str(), bench_unary<tanh_op>, scalar,
        [](float v) { return std::tanh(v); }, 1);
  }
  benchmark::RegisterBenchmark("logsumexp/4096x64/reference/threads:1", bench_logsumexp, 4096, 64,
                               true, 1)
      ->Unit(benchmark::kMicrosecond)
      ->UseRealTime();
  benchmark::RegisterBenchmark("tape/record_fwd_bwd", bench_tape_record);

  benchmark::Initialize(&argc, argv);
  // Colour only on a terminal, so that a saved run reads as text.
  Collector collector(isatty(STDOUT_FILENO) ? benchmark::ConsoleReporter::OO_Defaults
                                            : benchmark::ConsoleReporter::OO_Tabular);
  benchmark::RunSpecifiedBenchmarks(&collector);

  fmt::print("\n== summary (medians) ==\n");
  fmt::print("{:<44} {:>10}   ({} batches of {} floats, {} chains per thread)\n",
             "FMA peak GFLOP/s", "", fma_peak::arch_name(), fma_peak::kLanes, fma_peak::kChains);
  for (int t : thread_counts)
    fmt::print("{:<44} {:>10.1f}\n", fmt::format("threads:{}", t),
               collector.counter(fmt::format("peak/fma/threads:{}", t), "GFLOP/s"));
  // Issue 16: GEMM at >= 0.95 of OpenBLAS at every square size 256-2048, on 1 and 2 threads.
  constexpr double kGemmTarget = 0.95;
  fmt::print("\n{:<44} {:>10} {:>10} {:>7} {:>7} {:>7}  {}\n", "GEMM float32 GFLOP/s", "ours",
             "OpenBLAS", "ratio", "target", "% peak", "");
  for (int t : thread_counts) {
    const double peak = collector.counter(fmt::format("peak/fma/threads:{}", t), "GFLOP/s");
    for (const GemmShape& s : gemm_shapes) {
      const std::string base = fmt::format("gemm/{}/", s.name);
      const double ours = collector.counter(fmt::format("{}ours/threads:{}", base, t), "GFLOP/s");
      const double blas =
          collector.counter(fmt::format("{}openblas/threads:{}", base, t), "GFLOP/s");
      const bool targeted = s.name.rfind("square", 0) == 0 && s.m >= 256;
      fmt::print("{:<44} {:>10.1f} {:>10.1f} {:>7.2f} {:>7} {:>6.0f}%  {}\n",
                 fmt::format("{} threads:{}", s.name, t), ours, blas, ours / blas,
                 targeted ? fmt::format("{:.2f}", kGemmTarget) : "-", 100 * ours / peak,
                 targeted ? verdict(ours / blas, kGemmTarget) : "");
    }
  }
  fmt::print("\n{:<44} {:>10} {:>10} {:>7} {:>7}\n", "element-wise GB/s", "op", "memcpy", "ratio",
             "target");
  for (int t : thread_counts)
    for (std::int64_t bytes : stream_bytes)
      for (const char* op : {"add", "mul"}) {
        const double ours = collector.counter(
            fmt::format("stream/{}/{}/threads:{}", op, bytes_name(bytes), t), "GB/s");
        const double copy = collector.counter(
            fmt::format("stream/copy/{}/threads:{}", bytes_name(bytes), t), "GB/s");
        const bool targeted = bytes > (4 << 20) - 1; // beyond L2 (2 MiB per core)
        fmt::print("{:<44} {:>10.1f} {:>10.1f} {:>7.2f} {:>7}  {}\n",
                   fmt::format("{} {} threads:{}", op, bytes_name(bytes), t), ours, copy,
                   ours / copy, targeted ? "0.80" : "-", targeted ? verdict(ours / copy, 0.8) : "");
      }
  fmt::print("\n{:<44} {:>10} {:>10} {:>7} {:>7}\n", "unary, 64Ki floats, 1 thread, Gelem/s",
             "ours", "std::", "speedup", "target");
  for (const char* op : {"exp", "log", "tanh"}) {
    const double ours = collector.counter(fmt::format("unary/{}/ours", op), "Gelem/s");
    const double std_loop = collector.counter(fmt::format("unary/{}/std", op), "Gelem/s");
    fmt::print("{:<44} {:>10.2f} {:>10.2f} {:>7.1f} {:>7}  {}\n", op, ours, std_loop,
               ours / std_loop, "4.0", verdict(ours / std_loop, 4.0));
  }
  const double lse_ref = collector.counter("logsumexp/4096x64/reference/threads:1", "Gelem/s");
  fmt::print("\n{:<44} {:>10} {:>10} {:>7}\n", "logsumexp rows 4096x64, Gelem/s", "ours",
             "reference", "speedup");
  for (int t : thread_counts) {
    const double ours =
        collector.counter(fmt::format("logsumexp/4096x64/ours/threads:{}", t), "Gelem/s");
    fmt::print("{:<44} {:>10.2f} {:>10.2f} {:>7.1f}\n", fmt::format("threads:{}", t), ours, lse_ref,
               ours / lse_ref);
  }
  // Issue 16: one record (forward + backward) in at most 0.25 us.
  constexpr double kRecordTargetNs = 250;
  const double record_ns = collector.nanoseconds("tape/record_fwd_bwd");
  fmt::print("\n{:<44} {:>10.3f} us   target <= {:.3f} us  {}\n",
             "one tape record, forward + backward", record_ns / 1000.0, kRecordTargetNs / 1000.0,
             std::isnan(record_ns)          ? "n/a"
             : record_ns <= kRecordTargetNs ? "met"
                                            : "MISSED");
  return 0;
}
