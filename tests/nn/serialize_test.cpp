// Save and load: bit-for-bit round trips, training resumed from a checkpoint continuing exactly
// as if it had not stopped, and every corrupt file rejected with a message naming the file and
// the tensor.
#include "fuzz/state_repair.hpp"
#include "nn/nn.hpp"
#include "tests/support/autograd_helpers.hpp"

#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>

using namespace tapegrad;
using Catch::Matchers::Contains;
using tapegrad::test::error_of;
using tapegrad::test::FreshTape;
namespace fs = std::filesystem;

namespace {

// A directory of its own per test, removed afterwards.
struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& name)
      : path(fs::temp_directory_path() /
             fmt::format("tapegrad-nn-{}-{}", name, static_cast<long>(::getpid()))) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  fs::path operator/(const std::string& file) const { return path / file; }
};

std::vector<char> read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const fs::path& path, const std::vector<char>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() &&
         std::memcmp(a.impl()->data(), b.impl()->data(),
                     static_cast<std::size_t>(a.numel()) * dtype_size(a.dtype())) == 0;
}

// Where tensor `name`'s elements start in a saved file: after its name come the dtype and rank
// bytes and 8 bytes per axis (see the layout in nn/serialize.hpp).
std::size_t data_offset(const std::vector<char>& bytes, const std::string& name, int rank) {
  const std::string needle = name;
  const auto at = std::search(bytes.begin(), bytes.end(), needle.begin(), needle.end());
  REQUIRE(at != bytes.end());
  return static_cast<std::size_t>(at - bytes.begin()) + name.size() + 2 +
         8 * static_cast<std::size_t>(rank);
}

// The model of the resume test: dropout makes it draw random numbers every step.
class Regressor : public nn::Module {
public:
  explicit Regressor(std::uint64_t seed) : Module("Regressor") {
    Generator gen(seed);
    body = register_module(
        "body", std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
                    std::make_shared<nn::Linear>(1, 16, true, gen), std::make_shared<nn::SiLU>(),
                    std::make_shared<nn::Dropout>(0.1, 5),
                    std::make_shared<nn::Linear>(16, 1, true, gen)}));
  }
  Tensor forward(const Tensor& x) override { return body->forward(x); }
  std::shared_ptr<nn::Sequential> body;
};

// Everything a training run holds, built the same way each time.
struct Run {
  Regressor model;
  nn::AdamW optimizer;
  nn::CosineAnnealingLR schedule;
  nn::DataLoader loader;
  std::vector<double> losses;

  Run(std::uint64_t model_seed, const Tensor& x, const Tensor& y)
      : model(model_seed), optimizer(model.parameters(), {.lr = 0.01, .weight_decay = 0.01}),
        schedule(optimizer, 40), loader({x, y}, {.batch_size = 16, .seed = 9}) {}

  void epochs(int count) {
    for (int e = 0; e < count; ++e)
      for (const nn::Batch& batch : loader) {
        optimizer.zero_grad();
        const Tensor loss = (model(batch[0]) - batch[1]).square().mean();
        loss.backward();
        nn::clip_grad_norm(model.parameters(), 1.0);
        optimizer.step();
        schedule.step();
        clear_tape();
        losses.push_back(loss.item<double>());
      }
  }

  void save(const fs::path& path) const {
    nn::save_checkpoint(
        path,
        {{"model", model}, {"optimizer", optimizer}, {"schedule", schedule}, {"data", loader}});
  }
  void load(const fs::path& path) {
    nn::load_checkpoint(
        path,
        {{"model", model}, {"optimizer", optimizer}, {"schedule", schedule}, {"data", loader}});
  }
};

} // namespace

TEST_CASE("save then load is bit-for-bit equal", "[nn][serialize]") {
  FreshTape fresh;
  TempDir dir("roundtrip");
  // Values that a text format or a careless conversion would change.
  const Tensor special =
      from_vector(std::vector<float>{-0.0f, std::numeric_limits<float>::denorm_min(), INFINITY,
                                     -INFINITY, std::numeric_limits<float>::quiet_NaN(), 0.1f},
                  {2, 3});
  nn::StateDict state;
  state.insert("special", special);
  state.insert("scalar", scalar_tensor(0.1, kFloat64));
  state.insert("index", from_vector(std::vector<std::int64_t>{-1, 1LL << 62}, {2}));
  state.insert("empty", zeros({0, 4}));
  nn::save_state(state, dir / "state.tgs");
  const nn::StateDict loaded = nn::load_state(dir / "state.tgs");
  REQUIRE(loaded.size() == 4);
  auto it = loaded.begin();
  for (const auto& [name, tensor] : state) {
    CHECK(it->first == name);
    CHECK(same_bits(it->second, tensor));
    ++it;
  }

  // A model and its optimiser's moments, into fresh objects with other values.
  Generator gen(1);
  nn::MLP model(2, {8}, 3, nn::Activation::Tanh, gen);
  nn::Adam adam(model.parameters(), {.lr = 0.01});
  adam.zero_grad();
  model(randn({4, 2}, gen)).square().sum().backward();
  adam.step();
  clear_tape();
  nn::save(model, dir / "model.tgs");
  nn::save(adam, dir / "adam.tgs");

  nn::MLP copy(2, {8}, 3, nn::Activation::Tanh, gen);
  nn::Adam copy_adam(copy.parameters(), {.lr = 0.5});
  nn::load(copy, dir / "model.tgs");
  nn::load(copy_adam, dir / "adam.tgs");
  const auto original = model.state_dict(), restored = copy.state_dict();
  for (const auto& [name, tensor] : original)
    CHECK(same_bits(tensor, restored.find(name)));
  const auto moments = adam.state_dict(), restored_moments = copy_adam.state_dict();
  for (const auto& [name, tensor] : moments) {
    INFO(name);
    CHECK(same_bits(tensor, restored_moments.find(name)));
  }
  CHECK(copy_adam.step_count() == 1);
  CHECK(copy_adam.lr() == 0.01);
  // Saving replaced nothing but the file: no temporary is left behind.
  for (const auto& entry : fs::directory_iterator(dir.path))
    CHECK(entry.path().filename().string().find(".tmp.") == std::string::npos);
}

TEST_CASE("clone_state copies a model's state: later training leaves the copy alone, and it loads "
          "back",
          "[nn][serialize]") {
  FreshTape fresh;
  Generator gen(7);
  nn::Linear layer(3, 2, gen);
  const nn::StateDict copy = nn::clone_state(layer.state_dict());
  REQUIRE(copy.size() == 2);
  for (const auto& [name, tensor] : copy) {
    CHECK_FALSE(tensor.requires_grad());
    CHECK(same_bits(tensor, layer.state_dict().find(name)));
  }
  const Tensor before = copy.find("weight").clone();
  nn::StateDict zeroed; // load_state_dict copies into the layer's own tensors, in place
  zeroed.insert("weight", zeros({2, 3}));
  zeroed.insert("bias", zeros({2}));
  layer.load_state_dict(zeroed, "zeros");
  REQUIRE(same_bits(layer.weight, zeros({2, 3})));
  CHECK(same_bits(copy.find("weight"), before)); // the copy shares no storage with the layer
  layer.load_state_dict(copy, "the copy");
  CHECK(same_bits(layer.weight, before));
}

TEST_CASE("training resumed from a checkpoint continues exactly as if it had not stopped",
          "[nn][serialize]") {
  FreshTape fresh;
  TempDir dir("resume");
  Generator gen(2);
  const Tensor x = rand({60, 1}, gen) * 6.0 - 3.0;
  const Tensor y = x.tanh() * 0.8; // any smooth target

  Run straight(7, x, y);
  straight.epochs(6);

  Run first_half(7, x, y);
  first_half.epochs(3);
  first_half.save(dir / "run.ckpt");
  // A new process would build everything afresh, here even from another seed, then load.
  Run second_half(8, x, y);
  second_half.load(dir / "run.ckpt");
  second_half.epochs(3);

  std::vector<double> resumed = first_half.losses;
  resumed.insert(resumed.end(), second_half.losses.begin(), second_half.losses.end());
  REQUIRE(resumed.size() == straight.losses.size());
  CHECK(resumed == straight.losses); // exact, not approximate
  const auto a = straight.model.state_dict(), b = second_half.model.state_dict();
  for (const auto& [name, tensor] : a) {
    INFO(name);
    CHECK(same_bits(tensor, b.find(name)));
  }
  CHECK(second_half.optimizer.lr() == straight.optimizer.lr());
  CHECK(second_half.optimizer.step_count() == straight.optimizer.step_count());
}

TEST_CASE("corrupt files are rejected, naming the file and the tensor", "[nn][serialize]") {
  TempDir dir("corrupt");
  Generator gen(3);
  nn::MLP model(2, {4}, 1, nn::Activation::ReLU, gen);
  const fs::path good = dir / "good.tgs";
  nn::save(model, good);
  const std::vector<char> bytes = read_bytes(good);
  const fs::path bad = dir / "bad.tgs";
  const std::string bad_name = bad.string();

  SECTION("truncated") {
    // Cut inside the elements of 2.weight ([1, 4]).
    const std::size_t offset = data_offset(bytes, "2.weight", 2);
    write_bytes(bad, {bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(offset + 6)});
    const std::string message = error_of([&] { nn::load(model, bad); });
    CHECK_THAT(message, Contains(bad_name + ": file truncated"));
    CHECK_THAT(message, Contains("ends inside the data of tensor '2.weight' (shape [1, 4]"));
    write_bytes(bad, {bytes.begin(), bytes.begin() + 20});
    CHECK_THAT(error_of([&] { nn::load(model, bad); }),
               Contains(bad_name + ": file truncated: it has 20 bytes, fewer than the 32"));
  }
  SECTION("wrong magic") {
    std::vector<char> changed = bytes;
    std::memcpy(changed.data(), "PK\x03\x04", 4);
    write_bytes(bad, changed);
    CHECK_THAT(error_of([&] { nn::load(model, bad); }),
               Contains(bad_name + ": not a tapegrad state file: it starts with 'PK..GRAD', "
                                   "expected the magic bytes 'TAPEGRAD'"));
  }
  SECTION("newer format version") {
    std::vector<char> changed = bytes;
    changed[8] = 2;
    write_bytes(bad, changed);
    CHECK_THAT(error_of([&] { nn::load(model, bad); }),
               Contains(bad_name + ": format version 2 is newer than this build of tapegrad "
                                   "reads (version 1)"));
  }
  SECTION("checksum mismatch") {
    std::vector<char> changed = bytes;
    changed[data_offset(bytes, "0.bias", 1) + 1] ^= 0x10; // one bit of one float
    write_bytes(bad, changed);
    CHECK_THAT(error_of([&] { nn::load(model, bad); }),
               Contains(bad_name + ": checksum mismatch in tensor '0.bias'"));
    changed = bytes;
    changed[12] ^= 1; // the tensor count
    write_bytes(bad, changed);
    CHECK_THAT(error_of([&] { nn::load(model, bad); }),
               Contains(bad_name + ": checksum mismatch in the header"));
  }
  SECTION("a missing, an extra, a reshaped or a retyped tensor") {
    nn::MLP smaller(2, {3}, 1, nn::Activation::ReLU, gen);
    nn::Linear layer(2, 4, true, gen), no_bias(2, 4, false, gen), wide(2, 5, true, gen);
    nn::save(no_bias, bad);
    CHECK_THAT(error_of([&] { nn::load(layer, bad); }),
               Contains(bad_name + ": tensor 'bias' is missing (the model (Linear) expects it, "
                                   "with shape [4])"));
    nn::save(layer, bad);
    CHECK_THAT(error_of([&] { nn::load(no_bias, bad); }),
               Contains(bad_name + ": tensor 'bias' (shape [4]) is not part of the model"));
    CHECK_THAT(error_of([&] { nn::load(wide, bad); }),
               Contains(bad_name + ": tensor 'weight' has shape [4, 2], but the model (Linear) "
                                   "expects shape [5, 2]"));
    CHECK_THAT(error_of([&] { nn::load(smaller, good); }),
               Contains(good.string() + ": tensor '0.weight' has shape [4, 2], but the model "
                                        "(MLP) expects shape [3, 2]"));
    layer.to(kFloat64);
    CHECK_THAT(error_of([&] { nn::load(layer, good); }), Contains("tensor 'weight'"));
    CHECK_THAT(error_of([&] { nn::load(no_bias, bad); }), Contains("is not part of"));
  }
  SECTION("a rejected load leaves the model as it was") {
    nn::Linear layer(2, 4, true, gen), other(2, 4, false, gen);
    const std::vector<float> before = layer.weight.to_vector<float>();
    nn::save(other, bad);
    CHECK_THROWS_AS(nn::load(layer, bad), Error);
    CHECK(layer.weight.to_vector<float>() == before);
  }
  SECTION("files that cannot be read or written") {
    CHECK_THAT(error_of([&] { nn::load(model, dir / "absent.tgs"); }),
               Contains("absent.tgs: cannot open the file for reading"));
    CHECK_THAT(error_of([&] { nn::save(model, dir / "no-such-dir" / "m.tgs"); }),
               Contains("m.tgs: cannot create the temporary file"));
  }
  SECTION("a checkpoint with a part it does not expect") {
    Tensor p = tensor({1.0}).requires_grad_();
    nn::SGD sgd({p}, {.lr = 0.1, .momentum = 0.9});
    nn::save_checkpoint(bad, {{"model", model}, {"optimizer", sgd}});
    CHECK_THAT(error_of([&] {
                 nn::load_checkpoint(bad, {{"model", model}});
               }),
               Contains(bad_name + ": tensor 'optimizer.lr' (shape []) belongs to none of"));
    nn::load_checkpoint(bad, {{"model", model}, {"optimizer", sgd}});
  }
}

TEST_CASE("state bytes round-trip in memory, and a header that claims more bytes than there are "
          "cannot make sizes whose product wraps around",
          "[nn][serialize]") {
  nn::StateDict state;
  state.insert("w", from_vector(std::vector<float>{1.5f, -2.0f}, {1, 2}, kFloat32));
  const std::vector<unsigned char> bytes = nn::state_bytes(state);
  const nn::StateDict back = nn::state_from_bytes(bytes, "memory");
  CHECK(back.find("w").to_vector<float>() == std::vector<float>{1.5f, -2.0f});

  // The header announces 2^62 bytes (checksummed, so not "corrupt header"), and the tensor's
  // shape becomes [2^33, 2^33] with its checksum recomputed: 4 * 2^66 bytes would wrap around
  // an unsigned 64-bit count to 0. It must be refused as the impossible size it is.
  std::vector<std::uint8_t> crafted(bytes.begin(), bytes.end());
  fuzz::put_at<std::uint64_t>(crafted, 16, std::uint64_t{1} << 62);
  fuzz::put_at<std::uint64_t>(crafted, 24, fuzz::fnv1a(crafted.data(), 24));
  const std::size_t record = 32, shape = record + 4 + 1 + 2; // name length, "w", dtype, rank
  fuzz::put_at<std::int64_t>(crafted, shape, std::int64_t{1} << 33);
  fuzz::put_at<std::int64_t>(crafted, shape + 8, std::int64_t{1} << 33);
  crafted.resize(shape + 16); // no data: 2^66 floats "are" none
  const std::uint64_t checksum = fuzz::fnv1a(crafted.data() + record, crafted.size() - record);
  crafted.resize(crafted.size() + 8);
  fuzz::put_at<std::uint64_t>(crafted, shape + 16, checksum);
  CHECK_THAT(error_of([&] { nn::state_from_bytes(crafted, "crafted.tgs"); }),
             Contains("crafted.tgs: tensor 'w' has an impossible size 8589934592 on axis 0"));
}
