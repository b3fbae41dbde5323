// The twin of bench/mdn_train.cpp and bench/pytorch_mdn.py in LibTorch, PyTorch's C++ API: the
// same MDN, loss, optimiser, data shapes, steps and JSON output, written as a C++ LibTorch user
// writes it (torch::nn modules, torch::optim::Adam, log_softmax and logsumexp for the mixture),
// line for line the model of pytorch_mdn.py. Built by bench/CMakeLists.txt when Debian's
// libtorch-dev is installed; bench/compare_mdn.py runs it as the third side.
//
//   libtorch_mdn --config tiny|classic|wide|big|infer [--threads N] [--warmup W] [--steps S]
//                [--repeats R] [--json]
//   libtorch_mdn --config NAME --init FILE --check-losses N
//
// The second form is the loss check: it loads the initial weights and the batch that
// `pytorch_mdn.py --write-init FILE` wrote (format in load_init below), runs N training steps on
// one thread and prints their losses as JSON; compare_mdn.py asserts they equal PyTorch's.
//
// Fairness settings, as pytorch_mdn.py: flush-to-zero (set_flush_denormal), one inter-op thread,
// and N threads for both torch's OpenMP (set_num_threads) and OpenBLAS. OpenBLAS reads its thread
// count from OPENBLAS_NUM_THREADS when the library is loaded, before main runs, so main sets the
// variable and executes itself again when it does not already hold N. OMP_WAIT_POLICY and
// OPENBLAS_CORETYPE come from the environment (compare_mdn.py and bench/run set them).
#include "mdn_harness.hpp"

#include <torch/torch.h>
#include <torch/version.h>

#include <fmt/format.h>

#include <dlfcn.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

namespace {

constexpr double kMinScale = 1e-3; // as pytorch_mdn.py's MIN_SCALE and our min_scale default

struct MixtureDensityNetworkImpl : torch::nn::Module {
  MixtureDensityNetworkImpl(std::int64_t dim_in, std::int64_t dim_out, std::int64_t n_components,
                            const std::vector<std::int64_t>& hidden)
      : dim_out(dim_out), n_components(n_components) {
    std::int64_t width = dim_in;
    for (const std::int64_t h : hidden) {
      trunk->push_back(torch::nn::Linear(width, h));
      trunk->push_back(torch::nn::Tanh());
      width = h;
    }
    register_module("trunk", trunk);
    pi_network = register_module("pi_network", torch::nn::Linear(width, n_components));
    normal_network =
        register_module("normal_network", torch::nn::Linear(width, 2 * dim_out * n_components));
  }

  // log_pi (B, K), mu and sigma (B, K, D)
  std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> forward(const torch::Tensor& x) {
    namespace F = torch::nn::functional;
    const torch::Tensor h = trunk->forward(x);
    const torch::Tensor log_pi = torch::log_softmax(pi_network->forward(h), -1);
    const torch::Tensor normal_params = normal_network->forward(h);
    const std::int64_t split = dim_out * n_components;
    torch::Tensor mu = normal_params.slice(-1, 0, split);
    torch::Tensor sigma = F::softplus(normal_params.slice(-1, split)) + kMinScale;
    mu = mu.reshape({-1, n_components, dim_out});
    sigma = sigma.reshape({-1, n_components, dim_out});
    return {log_pi, mu, sigma};
  }

  // The negative log-likelihood of each row.
  torch::Tensor loss(const torch::Tensor& x, const torch::Tensor& y) {
    const auto [log_pi, mu, sigma] = forward(x);
    const torch::Tensor z_score = (y.unsqueeze(1) - mu) / sigma;
    const torch::Tensor normal_loglik = -0.5 * torch::einsum("bij,bij->bi", {z_score, z_score}) -
                                        torch::sum(torch::log(sigma), -1) -
                                        0.5 * static_cast<double>(dim_out) * std::log(2 * M_PI);
    const torch::Tensor loglik = torch::logsumexp(log_pi + normal_loglik, -1);
    return -loglik;
  }

  torch::Tensor draw(const torch::Tensor& log_pi, const torch::Tensor& mu,
                     const torch::Tensor& sigma) {
    const torch::Tensor cum_pi = torch::cumsum(torch::exp(log_pi), -1);
    const torch::Tensor rvs = torch::rand({log_pi.size(0), 1});
    // clamp: rounding can leave cum_pi[-1] just below a draw, and K is out of range
    const torch::Tensor rand_pi = torch::searchsorted(cum_pi, rvs).clamp_max(n_components - 1);
    const torch::Tensor rand_normal = torch::randn_like(mu) * sigma + mu;
    return torch::take_along_dim(rand_normal, rand_pi.unsqueeze(-1), 1).squeeze(1);
  }

  torch::Tensor sample(const torch::Tensor& x) {
    const auto [log_pi, mu, sigma] = forward(x);
    return draw(log_pi, mu, sigma);
  }

  std::int64_t dim_out, n_components;
  torch::nn::Sequential trunk;
  torch::nn::Linear pi_network{nullptr}, normal_network{nullptr};
};
TORCH_MODULE(MixtureDensityNetwork);

// The file `pytorch_mdn.py --write-init` writes, all little-endian: the 8 bytes "MDNINIT1", a
// uint32 count, then per tensor a uint32 name length, the name, a uint32 rank, int64 sizes and the
// float32 values in row-major order. The names are "x", "y" and the model's parameter names
// (trunk.0.weight, ..., normal_network.bias), which this module registers under the same names.
std::map<std::string, torch::Tensor> load_init(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw std::runtime_error("cannot open " + path);
  const auto read = [&](void* data, std::size_t bytes) {
    if (!in.read(static_cast<char*>(data), static_cast<std::streamsize>(bytes)))
      throw std::runtime_error(path + ": truncated");
  };
  char magic[8];
  read(magic, sizeof magic);
  if (std::string(magic, sizeof magic) != "MDNINIT1")
    throw std::runtime_error(path + ": not an MDNINIT1 file");
  std::uint32_t count = 0;
  read(&count, sizeof count);
  std::map<std::string, torch::Tensor> tensors;
  for (std::uint32_t i = 0; i < count; ++i) {
    std::uint32_t name_length = 0, rank = 0;
    read(&name_length, sizeof name_length);
    std::string name(name_length, '\0');
    read(name.data(), name_length);
    read(&rank, sizeof rank);
    std::vector<std::int64_t> sizes(rank);
    read(sizes.data(), rank * sizeof(std::int64_t));
    torch::Tensor t = torch::empty(sizes, torch::kFloat32);
    read(t.data_ptr<float>(), static_cast<std::size_t>(t.numel()) * sizeof(float));
    tensors.emplace(name, t);
  }
  return tensors;
}

const torch::Tensor& take(const std::map<std::string, torch::Tensor>& tensors,
                          const std::string& name, torch::IntArrayRef sizes) {
  const auto it = tensors.find(name);
  if (it == tensors.end())
    throw std::runtime_error("the init file has no tensor '" + name + "'");
  if (it->second.sizes() != sizes)
    throw std::runtime_error(fmt::format("the init file's '{}' has shape {}, the model's is {}",
                                         name, c10::str(it->second.sizes()), c10::str(sizes)));
  return it->second;
}

// OpenBLAS's thread count (and OpenMP's, for libraries that read it at load time) must be in the
// environment before the libraries load: set it and start again if it is not.
void ensure_thread_environment(int threads, char** argv) {
  const std::string want = std::to_string(threads);
  bool restart = false;
  for (const char* name : {"OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"}) {
    const char* have = std::getenv(name);
    if (have == nullptr || want != have) {
      setenv(name, want.c_str(), 1);
      restart = true;
    }
  }
  if (restart) {
    execv("/proc/self/exe", argv);
    throw std::runtime_error(
        "could not execute /proc/self/exe again with OPENBLAS_NUM_THREADS set");
  }
}

// The kernel set of the OpenBLAS that torch calls, when it is OpenBLAS.
std::string blas_core() {
  using Fn = char* (*)();
  const auto fn = reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  return fn != nullptr ? fn() : "not OpenBLAS";
}

} // namespace

int main(int argc, char** argv) try {
  const mdn_bench::Args args = mdn_bench::parse(argc, argv, "libtorch_mdn", true);
  const mdn_bench::Config& c = *args.config;
  const int warmup = args.warmup >= 0 ? args.warmup : c.warmup;
  const int steps = args.steps > 0 ? args.steps : c.steps;
  const int repeats = args.repeats > 0 ? args.repeats : c.repeats;
  const bool checking = args.check_losses > 0;
  const int threads = checking ? 1 : args.threads;
  ensure_thread_environment(threads, argv);
  // The libraries alone, before any tensor (pytorch_mdn.py's "RSS after import").
  const double baseline_rss_mib = mdn_bench::peak_rss_mib();

  at::globalContext().setFlushDenormal(true); // as ours and pytorch_mdn.py
  torch::set_num_threads(threads);
  at::set_num_interop_threads(1);
  torch::manual_seed(20261202);
  MixtureDensityNetwork model(c.in, c.out, c.components, c.hidden);
  torch::Tensor x = torch::randn({c.batch, c.in});
  torch::Tensor y = torch::randn({c.batch, c.out});

  if (checking) {
    const auto init = load_init(args.init_file);
    x = take(init, "x", x.sizes());
    y = take(init, "y", y.sizes());
    torch::NoGradGuard no_grad;
    const auto parameters = model->named_parameters();
    if (init.size() != parameters.size() + 2)
      throw std::runtime_error(fmt::format("the init file has {} tensors, the model {} and x, y",
                                           init.size(), parameters.size()));
    for (const auto& p : parameters)
      p.value().copy_(take(init, p.key(), p.value().sizes()));
  }

  // Each figure is a median over the repeats; its list of repeats goes into the JSON too.
  mdn_bench::Timings timings;
  double loss_value = 0;
  if (c.name == "infer" && !checking) {
    model->eval();
    torch::NoGradGuard no_grad;
    auto [log_pi, mu, sigma] = model->forward(x);
    mdn_bench::time_ms(timings, "forward_ms", warmup, steps, repeats,
                       [&] { (void)model->forward(x); });
    mdn_bench::time_ms(timings, "sample_ms", warmup, steps, repeats,
                       [&] { (void)model->draw(log_pi, mu, sigma); });
    mdn_bench::time_ms(timings, "forward_sample_ms", warmup, steps, repeats,
                       [&] { (void)model->sample(x); });
  } else {
    model->train();
    torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(1e-3));
    std::vector<double> losses;
    const auto step = [&] {
      optimizer.zero_grad();
      const torch::Tensor loss = model->loss(x, y).mean();
      loss_value = loss.item<double>();
      loss.backward();
      optimizer.step();
    };
    if (checking) {
      for (int i = 0; i < args.check_losses; ++i) {
        step();
        losses.push_back(loss_value);
      }
      fmt::print(R"({{"side": "libtorch", "config": "{}", "losses": {}}})"
                 "\n",
                 c.name, mdn_bench::json_list(losses));
      return 0;
    }
    mdn_bench::time_ms(timings, "ms_per_step", warmup, steps, repeats, step);
  }

  mdn_bench::report("libtorch", c, threads, warmup, steps, repeats, loss_value, timings, args.json,
                    fmt::format(R"(, "baseline_rss_mib": {:.1f}, "torch": "{}", "blas_core": "{}")",
                                baseline_rss_mib, TORCH_VERSION, blas_core()));
  return 0;
} catch (const std::exception& e) {
  fmt::print(stderr, "libtorch_mdn: error: {}\n", e.what());
  return 1;
}
