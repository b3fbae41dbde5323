// A recurrent MDN's training step: a GRU (hidden 128) over 32 sequences of 100 steps, a mixture
// density head (10 diagonal components of 2-D targets) at every step, the mean NLL of the 3,200
// steps, backward through time, Adam. bench/pytorch_gru_mdn.py is its twin (torch.nn.GRU and the
// same head), and bench/compare_gru_mdn.py runs both in turns on 1 and 2 threads.
//
//   gru_mdn_train [--threads N] [--warmup W] [--steps S] [--repeats R] [--json]
//   gru_mdn_train --init FILE --check-losses N
//
// The second form is the loss check: it loads the initial weights and the batch that
// `pytorch_gru_mdn.py --write-init FILE` wrote (the format of pytorch_mdn.py's write_init: the
// parameters under torch's names, which are ours too), runs N training steps and prints their
// losses as JSON; compare_gru_mdn.py stops unless they equal PyTorch's.
#include "mdn/mdn.hpp"
#include "nn/optim.hpp"

#include "mdn_harness.hpp"

#include <fmt/format.h>
#include <omp.h>
#include <pmmintrin.h>
#include <xmmintrin.h>

#include <cstring>
#include <exception>
#include <fstream>
#include <map>

using namespace tapegrad;

namespace {

// Keep in step with pytorch_gru_mdn.py's and compare_gru_mdn.py's constants.
constexpr std::int64_t kBatch = 32, kTime = 100, kIn = 2, kOut = 2, kHidden = 128, kComponents = 10;
constexpr int kWarmup = 3, kSteps = 10, kRepeats = 5;

struct Args {
  int threads = 1, warmup = kWarmup, steps = kSteps, repeats = kRepeats, check_losses = 0;
  bool json = false;
  std::string init_file;
};

[[noreturn]] void usage(const std::string& why) {
  fmt::print(stderr,
             "gru_mdn_train: {}\nusage: gru_mdn_train [--threads N] [--warmup W] [--steps S] "
             "[--repeats R] [--json]\n       gru_mdn_train --init FILE --check-losses N\n",
             why);
  std::exit(2);
}

Args parse(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--json") {
      args.json = true;
      continue;
    }
    if (i + 1 >= argc)
      usage(flag + " needs a value");
    const std::string value = argv[++i];
    if (flag == "--init") {
      args.init_file = value;
      continue;
    }
    const int number = mdn_bench::positive("gru_mdn_train", false, value.c_str(), flag.c_str(),
                                           flag == "--warmup" ? 0 : 1);
    if (flag == "--threads")
      args.threads = number;
    else if (flag == "--warmup")
      args.warmup = number;
    else if (flag == "--steps")
      args.steps = number;
    else if (flag == "--repeats")
      args.repeats = number;
    else if (flag == "--check-losses")
      args.check_losses = number;
    else
      usage("unknown option '" + flag + "'");
  }
  if ((args.check_losses > 0) != !args.init_file.empty())
    usage("--init and --check-losses go together");
  return args;
}

// The tensors of a file written by pytorch_gru_mdn.py's write_init (little-endian: b"MDNINIT1",
// a uint32 count, then per tensor a uint32 name length, the name, a uint32 rank, int64 sizes and
// float32 values).
std::map<std::string, Tensor> load_init(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const auto read = [&](void* into, std::size_t bytes) {
    if (!in.read(static_cast<char*>(into), static_cast<std::streamsize>(bytes)))
      throw std::runtime_error(path + ": truncated init file");
  };
  char magic[8];
  read(magic, 8);
  if (std::memcmp(magic, "MDNINIT1", 8) != 0)
    throw std::runtime_error(path + ": not an init file of pytorch_gru_mdn.py");
  std::uint32_t count = 0;
  read(&count, 4);
  std::map<std::string, Tensor> tensors;
  for (std::uint32_t i = 0; i < count; ++i) {
    std::uint32_t length = 0, rank = 0;
    read(&length, 4);
    std::string name(length, '\0');
    read(name.data(), length);
    read(&rank, 4);
    std::vector<std::int64_t> sizes(rank);
    read(sizes.data(), 8 * rank);
    const Shape shape(sizes);
    std::vector<float> values(static_cast<std::size_t>(shape.numel()));
    read(values.data(), 4 * values.size());
    tensors[name] = from_vector(values, shape);
  }
  return tensors;
}

} // namespace

int main(int argc, char** argv) try {
  const Args args = parse(argc, argv);
  // As mdn_train: flush-to-zero, the torch side's set_flush_denormal(True).
  _MM_SET_FLUSH_ZERO_MODE(_MM_FLUSH_ZERO_ON);
  _MM_SET_DENORMALS_ZERO_MODE(_MM_DENORMALS_ZERO_ON);
  omp_set_num_threads(args.threads);

  Generator gen(20261202);
  mdn::SequenceMDN model({.in_features = kIn,
                          .out_dim = kOut,
                          .components = kComponents,
                          .rnn = mdn::RnnKind::GRU,
                          .hidden = kHidden},
                         gen);
  Tensor x = randn({kBatch, kTime, kIn}, gen), y = randn({kBatch, kTime, kOut}, gen);
  if (!args.init_file.empty()) {
    std::map<std::string, Tensor> init = load_init(args.init_file);
    x = init.at("x");
    y = init.at("y");
    nn::StateDict state;
    for (const auto& [name, tensor] : model.state_dict()) {
      if (!init.count(name))
        throw std::runtime_error(args.init_file + ": no tensor '" + name + "'");
      state.insert(name, init.at(name));
    }
    model.load_state_dict(state, args.init_file);
  }

  model.train();
  nn::Adam adam(model.parameters(), {.lr = 1e-3});
  double loss_value = 0;
  const auto step = [&] {
    adam.zero_grad();
    const Tensor loss = mdn::sequence_nll(model.mixtures(x), y);
    loss_value = loss.item<double>();
    loss.backward();
    adam.step();
    clear_tape();
  };
  if (args.check_losses > 0) {
    std::vector<double> losses;
    for (int i = 0; i < args.check_losses; ++i) {
      step();
      losses.push_back(loss_value);
    }
    fmt::print(R"({{"side": "tapegrad", "losses": {}}})"
               "\n",
               mdn_bench::json_list(losses));
    return 0;
  }
  mdn_bench::Timings timings;
  mdn_bench::time_ms(timings, "ms_per_step", args.warmup, args.steps, args.repeats, step);
  const std::vector<double>& ms = timings.front().second; // wall clock; timings[1] is CPU time
  if (args.json)
    fmt::print(R"({{"side": "tapegrad", "threads": {}, "dims": [{}, {}, {}, {}, {}, {}], )"
               R"("ms_per_step": {:.6g}, "ms_per_step_all": {}, "final_loss": {:.9g}, )"
               R"("peak_rss_mib": {:.1f}}})"
               "\n",
               args.threads, kBatch, kTime, kIn, kOut, kHidden, kComponents, mdn_bench::median(ms),
               mdn_bench::json_list(ms), loss_value, mdn_bench::peak_rss_mib());
  else
    fmt::print("tapegrad GRU-MDN, batch {}, {} steps, hidden {}, {} thread(s): {:.4g} ms per "
               "training step, peak RSS {:.1f} MiB\n",
               kBatch, kTime, kHidden, args.threads, mdn_bench::median(ms),
               mdn_bench::peak_rss_mib());
  return 0;
} catch (const std::exception& e) {
  fmt::print(stderr, "gru_mdn_train: error: {}\n", e.what());
  return 1;
}
