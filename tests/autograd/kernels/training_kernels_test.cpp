// Whole training steps on the engine's ops: a small MLP trained with plain SGD gives the same
// losses bit for bit on 1 and 2 OpenMP threads, and once warmed up a step takes no new tensor
// storage from the system (the caching allocator serves it all).
#include "autograd/autograd.hpp"
#include "tests/support/autograd_helpers.hpp"

#include <omp.h>

#include <vector>

using namespace tapegrad;
using tapegrad::test::FreshTape;

namespace {

// y = tanh(x W1 + b1) W2 + b2, loss = mean((y - target)^2), 1024 rows: large enough that the
// GEMMs and element-wise kernels run in parallel on 2 threads.
struct Mlp {
  Tensor w1, b1, w2, b2;
  explicit Mlp(Generator& gen)
      : w1((randn({16, 128}, gen) * 0.25).detach().requires_grad_()),
        b1(zeros({128}).requires_grad_()),
        w2((randn({128, 4}, gen) * 0.09).detach().requires_grad_()),
        b2(zeros({4}).requires_grad_()) {}

  float step(const Tensor& x, const Tensor& target, float lr) {
    const Tensor hidden = tanh(matmul(x, w1) + b1);
    const Tensor y = matmul(hidden, w2) + b2;
    const Tensor loss = mean(square(y - target));
    loss.backward();
    for (Tensor* p : {&w1, &b1, &w2, &b2}) { // plain SGD through the raw buffers
      float* value = p->data_ptr<float>();
      float* grad = p->grad().data_ptr<float>();
      for (std::int64_t i = 0; i < p->numel(); ++i)
        value[i] -= lr * grad[i];
      p->zero_grad();
    }
    const float value = loss.item<float>();
    clear_tape();
    return value;
  }
};

std::vector<float> train(int threads, int steps) {
  const int before = omp_get_max_threads();
  omp_set_num_threads(threads);
  Generator gen(42);
  const Tensor x = randn({1024, 16}, gen), target = randn({1024, 4}, gen);
  Mlp mlp(gen);
  std::vector<float> losses;
  for (int i = 0; i < steps; ++i)
    losses.push_back(mlp.step(x, target, 0.05f));
  omp_set_num_threads(before);
  return losses;
}

} // namespace

TEST_CASE_METHOD(FreshTape, "an MLP trains to the same losses bit for bit on 1 and 2 threads",
                 "[kernels][training]") {
  const std::vector<float> one = train(1, 50), two = train(2, 50);
  CHECK(one.back() < one.front()); // it learns
  CHECK(one == two);
}

TEST_CASE_METHOD(FreshTape, "steady-state training steps take no tensor storage from the system",
                 "[kernels][training]") {
  Generator gen(7);
  const Tensor x = randn({1024, 16}, gen), target = randn({1024, 4}, gen);
  Mlp mlp(gen);
  for (int i = 0; i < 3; ++i) // warm-up: the first step fills the free lists
    mlp.step(x, target, 0.05f);
  const StorageStats before = storage_stats();
  for (int i = 0; i < 20; ++i)
    mlp.step(x, target, 0.05f);
  const StorageStats after = storage_stats();
  CHECK(after.system_allocations == before.system_allocations);
  CHECK(after.reused > before.reused);
}
