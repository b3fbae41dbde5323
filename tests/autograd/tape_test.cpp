// The tape: one reverse walk, accumulation into leaves, no-grad scopes, clearing, anomaly mode and
// the errors a misuse gets.
#include "tests/support/autograd_helpers.hpp"

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using namespace tapegrad;
using Catch::Matchers::Contains;
using tapegrad::test::check_close;
using tapegrad::test::error_of;
using tapegrad::test::FreshTape;

namespace {
std::vector<std::string> recorded_ops() {
  std::vector<std::string> ops;
  for (const TapeRecord& record : Tape::current().records())
    ops.emplace_back(record.op);
  return ops;
}
} // namespace

TEST_CASE("each op that sees a grad-requiring input appends one record, in order", "[tape]") {
  FreshTape fresh;
  Tensor x = tensor({0.5, -1.0, 2.0}, kFloat64).requires_grad_();
  const Tensor c = tensor({1, 2, 3}, kFloat64);
  CHECK(Tape::current().size() == 0);

  const Tensor constant = exp(c) * 2.0; // no input requires grad: nothing recorded
  CHECK(Tape::current().size() == 0);
  CHECK_FALSE(constant.requires_grad());
  CHECK(constant.is_leaf());

  const Tensor y = exp(x);
  const Tensor z = y * x;
  const Tensor loss = sum(z);
  CHECK(recorded_ops() == std::vector<std::string>{"exp", "mul", "reshape", "sum"});
  CHECK(y.requires_grad());
  CHECK_FALSE(y.is_leaf());
  CHECK(Tape::current().records()[1].inputs.size() == 2);
  CHECK(Tape::current().records()[1].output.get() == z.impl());
}

TEST_CASE("backward walks the tape once in reverse and fills every gradient", "[tape]") {
  FreshTape fresh;
  const std::vector<double> xs{0.5, -1.0, 2.0};
  Tensor x = from_vector(xs, {3}).requires_grad_();
  const Tensor y = exp(x);
  const Tensor loss = sum(y * x); // d/dx (x e^x) = (1 + x) e^x
  loss.backward();

  CHECK(Tape::current().walked());
  std::vector<double> expected;
  for (double v : xs)
    expected.push_back((1 + v) * std::exp(v));
  check_close(x.grad(), expected);
  // Temporaries have gradient slots on the tape until it is cleared: dloss/dy = x.
  REQUIRE(y.grad().defined());
  check_close(y.grad(), xs);
  check_close(loss.grad(), {1.0});
}

TEST_CASE("a leaf used several times gets the sum of its gradients", "[tape]") {
  FreshTape fresh;
  Tensor x = tensor({1.5, -2.0}, kFloat64).requires_grad_();
  sum(x * x + x * 3.0 - x).backward(); // 2x + 2
  check_close(x.grad(), {5.0, -2.0});
}

TEST_CASE("gradients accumulate into leaves across steps until zero_grad", "[tape]") {
  FreshTape fresh;
  Tensor w = tensor({1.0, 2.0, 3.0}, kFloat64).requires_grad_();
  const Tensor input = tensor({0.5, -1.0, 4.0}, kFloat64);

  sum(w * input).backward();
  check_close(w.grad(), {0.5, -1.0, 4.0});
  const double* buffer = w.grad().data_ptr<double>();

  clear_tape();
  sum(w * input).backward();
  check_close(w.grad(), {1.0, -2.0, 8.0});
  CHECK(w.grad().data_ptr<double>() == buffer); // accumulated in place

  w.zero_grad();
  check_close(w.grad(), {0.0, 0.0, 0.0});
  CHECK(w.grad().data_ptr<double>() == buffer); // zero_grad keeps the buffer

  clear_tape();
  sum(w * w).backward();
  check_close(w.grad(), {2.0, 4.0, 6.0});

  Tensor fresh_leaf = zeros({2}, kFloat64).requires_grad_();
  fresh_leaf.zero_grad(); // no gradient yet: nothing to zero, and still none afterwards
  CHECK_FALSE(fresh_leaf.grad().defined());
}

TEST_CASE("only tensors on a path to the root receive gradients", "[tape]") {
  FreshTape fresh;
  Tensor a = tensor({1.0, 2.0}, kFloat64).requires_grad_();
  Tensor b = tensor({3.0}, kFloat64).requires_grad_();
  const Tensor unused = exp(b);
  const Tensor loss = sum(a * a);
  loss.backward();
  check_close(a.grad(), {2.0, 4.0});
  CHECK_FALSE(b.grad().defined());
  CHECK_FALSE(unused.grad().defined());
}

TEST_CASE("backward with a seed computes a vector-Jacobian product", "[tape]") {
  FreshTape fresh;
  Tensor x = from_vector(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3}).requires_grad_();
  const Tensor y = x * x;
  const Tensor seed = from_vector(std::vector<double>{1, 0, -1, 0.5, 2, 0}, {2, 3});
  y.backward(seed);
  check_close(x.grad(), {2, 0, -6, 4, 20, 0});
  CHECK(seed.to_vector<double>() == std::vector<double>{1, 0, -1, 0.5, 2, 0}); // not consumed
}

TEST_CASE("backward on a leaf seeds its own gradient", "[tape]") {
  FreshTape fresh;
  Tensor x = scalar_tensor(3.0, kFloat64).requires_grad_();
  x.backward();
  check_close(x.grad(), {1.0});
  CHECK_FALSE(Tape::current().walked());
}

TEST_CASE("NoGradGuard records nothing and restores the mode", "[tape]") {
  FreshTape fresh;
  Tensor x = tensor({1.0, 2.0}, kFloat64).requires_grad_();
  REQUIRE(GradMode::is_enabled());
  {
    NoGradGuard no_grad;
    CHECK_FALSE(GradMode::is_enabled());
    const Tensor y = sum(exp(x) * x);
    CHECK(Tape::current().size() == 0);
    CHECK_FALSE(y.requires_grad());
    CHECK(y.is_leaf());
    CHECK(y.item<double>() == Approx(std::exp(1.0) + 2 * std::exp(2.0)).epsilon(1e-14));
    {
      NoGradGuard nested;
      CHECK_FALSE(GradMode::is_enabled());
    }
    CHECK_FALSE(GradMode::is_enabled()); // the inner guard restores the outer state
    CHECK_THAT(error_of([&] { y.backward(); }), Contains("does not require grad"));
  }
  CHECK(GradMode::is_enabled());
  const Tensor z = exp(x);
  CHECK(Tape::current().size() == 1);
  CHECK(z.requires_grad());
}

TEST_CASE("detach cuts the history", "[tape]") {
  FreshTape fresh;
  Tensor x = tensor({2.0, -3.0}, kFloat64).requires_grad_();
  const Tensor y = x * x;
  const Tensor loss = sum(y.detach() * x); // the detached y is a constant: d/dx = x^2
  loss.backward();
  check_close(x.grad(), {4.0, 9.0});
}

TEST_CASE("clear_tape drops records and makes recorded tensors constants", "[tape]") {
  FreshTape fresh;
  Tensor x = tensor({1.0, 2.0}, kFloat64).requires_grad_();
  const Tensor y = x * 3.0;
  const Tensor loss = sum(y);
  loss.backward();
  REQUIRE(y.grad().defined());
  const std::uint64_t generation = Tape::current().generation();

  clear_tape();
  CHECK(Tape::current().size() == 0);
  CHECK_FALSE(Tape::current().walked());
  CHECK(Tape::current().generation() == generation + 1);
  CHECK_FALSE(y.requires_grad());
  CHECK(y.is_leaf());
  CHECK_FALSE(y.grad().defined());   // the temporary's slot is freed
  check_close(y, {3.0, 6.0});        // values are kept
  check_close(x.grad(), {3.0, 3.0}); // a leaf keeps its gradient
  CHECK(x.requires_grad());
  CHECK_THAT(error_of([&] { loss.backward(); }),
             Contains("backward") && Contains("history") && Contains("cleared by clear_tape()"));
  CHECK_THAT(error_of([&] { y.backward(ones({2}, kFloat64)); }), Contains("cleared"));

  // The old y now acts as a constant in a new step.
  const Tensor again = sum(y * x);
  CHECK(Tape::current().size() == 3); // mul, reshape, sum
  x.zero_grad();
  again.backward();
  check_close(x.grad(), {3.0, 6.0});

  // A cleared tensor made to require grad is a plain leaf again.
  clear_tape();
  Tensor revived = y;
  revived.requires_grad_();
  revived.backward(ones({2}, kFloat64));
  check_close(revived.grad(), {1.0, 1.0});
}

TEST_CASE("misusing the tape is an error with a clear message", "[tape][errors]") {
  FreshTape fresh;
  Tensor x = from_vector(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3}).requires_grad_();

  SECTION("backward twice") {
    const Tensor loss = sum(x * 2.0);
    loss.backward();
    CHECK_THAT(error_of([&] { loss.backward(); }),
               Contains("backward") && Contains("already walked") && Contains("retain_graph") &&
                   Contains("clear_tape"));
  }
  SECTION("recording into a walked tape") {
    sum(x * 2.0).backward();
    CHECK_THAT(error_of([&] { exp(x); }),
               Contains("exp") && Contains("already walked") && Contains("clear_tape"));
    NoGradGuard no_grad; // computing without recording is still fine
    check_close(x * 2.0, {2, 4, 6, 8, 10, 12});
  }
  SECTION("backward on a non-scalar without a seed") {
    const Tensor y = x * 2.0;
    CHECK_THAT(error_of([&] { y.backward(); }),
               Contains("[2, 3]") && Contains("without a seed") && Contains("one-element"));
    CHECK_FALSE(Tape::current().walked());
  }
  SECTION("a seed of the wrong shape or dtype") {
    const Tensor y = x * 2.0;
    CHECK_THAT(error_of([&] { y.backward(ones({3}, kFloat64)); }),
               Contains("seed") && Contains("shape [3]") && Contains("expected shape [2, 3]"));
    CHECK_THAT(error_of([&] {
                 y.backward(ones({2, 3}, kFloat32));
               }),
               Contains("seed") && Contains("float32") && Contains("dtype float64"));
  }
  SECTION("backward on a tensor that does not require grad") {
    const Tensor c = sum(ones({2}, kFloat64));
    CHECK_THAT(error_of([&] { c.backward(); }),
               Contains("backward") && Contains("does not require grad"));
  }
  SECTION("a binary op on mismatched dtypes") {
    CHECK_THAT(error_of([&] {
                 x + ones({2, 3}, kFloat32);
               }),
               Contains("add") && Contains("dtypes differ") && Contains("float64") &&
                   Contains("float32"));
  }
  SECTION("a binary op on shapes that do not broadcast") {
    CHECK_THAT(error_of([&] { x* ones({2}, kFloat64); }), Contains("mul") && Contains("[2, 3]") &&
                                                              Contains("[2]") &&
                                                              Contains("cannot be broadcast"));
  }
  SECTION("an op on int64 values") {
    CHECK_THAT(error_of([] { exp(zeros({2}, kInt64)); }),
               Contains("exp") && Contains("float32 or float64") && Contains("int64"));
  }
  SECTION("errors name the op the user called, not the kernel behind it") {
    const Tensor ints = zeros({2}, kInt64);
    for (const auto& [name, f] : std::vector<std::pair<std::string, std::function<void()>>>{
             {"mul: ", [&] { ints * 2.0; }},
             {"mul: ", [&] { 2.0 * ints; }},
             {"add: ", [&] { ints + 1.0; }},
             {"sub: ", [&] { 1.0 - ints; }},
             {"div: ", [&] { ints / 2.0; }},
             {"div: ", [&] { 2.0 / ints; }},
             {"pow: ", [&] { pow(ints, 2.0); }},
             {"clamp: ", [&] { clamp(ints, 0.0, 1.0); }},
             {"elu: ", [&] { elu(ints); }}}) {
      const std::string message = error_of(f);
      INFO(message);
      CHECK(message.rfind(name, 0) == 0);
      CHECK_THAT(message, !Contains("_scalar"));
    }
    const Tensor y = x * 2.0;
    CHECK(std::string(Tape::current().records().back().op) == "mul");
  }
  SECTION("an op given tensors of two dtypes names itself") {
    CHECK_THAT(error_of([&] {
                 where(ones({2, 3}, kFloat64), x, ones({2, 3}, kFloat32));
               }),
               Contains("where") && Contains("dtypes differ"));
  }
}

TEST_CASE("a backward that returns a wrongly shaped gradient is reported", "[tape][errors]") {
  FreshTape fresh;
  Tensor x = tensor({1.0, 2.0}, kFloat64).requires_grad_();
  const Tensor y = record("broken", x.detach().clone(), {x},
                          [x](const Tensor&) { accumulate_grad(x, ones({3}, kFloat64)); });
  CHECK_THAT(error_of([&] { sum(y).backward(); }),
             Contains("gradient of shape [3]") && Contains("input of shape [2]"));
}

TEST_CASE("anomaly mode: NaN anywhere and non-finite gradients are errors naming the op",
          "[tape][anomaly]") {
  FreshTape fresh;
  REQUIRE_FALSE(is_anomaly_enabled());

  SECTION("a NaN in a forward pass") {
    const Tensor x = tensor({1.0, -1.0}, kFloat64);
    {
      DetectAnomalyGuard anomaly;
      CHECK(is_anomaly_enabled());
      CHECK_THAT(error_of([&] { log(x); }), Contains("anomaly") && Contains("log") &&
                                                Contains("NaN in its output") &&
                                                Contains("flat index 1"));
      check_close(log(tensor({1.0, std::exp(2.0)}, kFloat64)), {0.0, 2.0}); // finite: no error
      // The public op is named: x / 0.0 is "div" (0 / 0 is NaN), mean is "mean".
      CHECK_THAT(error_of([&] { (x - 1.0) / 0.0; }), Contains("anomaly: div produced"));
      CHECK_THAT(error_of([] { mean(zeros({0}, kFloat64)); }), Contains("anomaly: mean produced"));
    }
    CHECK_FALSE(is_anomaly_enabled());
    CHECK(std::isnan(log(x).to_vector<double>()[1])); // off: the NaN passes through unreported
  }
  SECTION("an infinite forward output is legitimate") {
    DetectAnomalyGuard anomaly;
    const double inf = std::numeric_limits<double>::infinity();
    CHECK(log(tensor({0.0}, kFloat64)).item<double>() == -inf);
    // Masked logits: -inf in, a probability of 0 out.
    Tensor logits = tensor({0.5, -inf, 1.0}, kFloat64).requires_grad_();
    const Tensor p = softmax(logits, 0);
    CHECK(p.to_vector<double>()[1] == 0.0);
    sum(p * tensor({1.0, 2.0, 3.0}, kFloat64)).backward();
    CHECK(logits.grad().to_vector<double>()[1] == 0.0);
  }
  SECTION("a non-finite gradient in a backward pass") {
    Tensor x = tensor({0.0, 4.0}, kFloat64).requires_grad_();
    DetectAnomalyGuard anomaly;
    const Tensor loss = sum(sqrt(x)); // sqrt(0) = 0 is finite, its derivative 1 / (2 sqrt(0)) not
    CHECK_THAT(error_of([&] { loss.backward(); }), Contains("anomaly") && Contains("sqrt") &&
                                                       Contains("non-finite gradient") &&
                                                       Contains("flat index 0"));
  }
  SECTION("NaN from the forward of a float32 op") {
    DetectAnomalyGuard anomaly;
    CHECK_THAT(error_of([] { sqrt(tensor({-4.0f})); }),
               Contains("sqrt") && Contains("NaN in its output"));
  }
  CHECK(GradMode::is_enabled()); // the guard inside backward was unwound
}

TEST_CASE("backward(retain_graph) walks the same tape again", "[tape]") {
  FreshTape fresh;
  Tensor x = tensor({1.0, -2.0}, kFloat64).requires_grad_();
  const Tensor y = x * x;
  const Tensor loss = sum(y * 3.0); // d/dx = 6x
  loss.backward({}, true);
  check_close(x.grad(), {6.0, -12.0});
  CHECK_FALSE(Tape::current().walked());
  check_close(y.grad(), {3.0, 3.0});

  loss.backward({}, true); // the same gradients again, accumulated into the leaf only
  check_close(x.grad(), {12.0, -24.0});
  check_close(y.grad(), {3.0, 3.0});

  // Recording more on a retained tape is allowed, and a last walk without retain closes it.
  const Tensor other = sum(exp(y));
  x.zero_grad();
  other.backward();
  check_close(x.grad(), {2.0 * std::exp(1.0), -4.0 * std::exp(4.0)}); // exp(x^2) 2x
  CHECK(Tape::current().walked());
  CHECK_THAT(error_of([&] { loss.backward(); }), Contains("already walked"));
}

TEST_CASE("each thread records on its own tape", "[tape]") {
  FreshTape fresh;
  Tensor x = tensor({1.0, 2.0}, kFloat64).requires_grad_();
  const Tensor here = exp(x);
  REQUIRE(Tape::current().size() == 1);

  std::size_t other_size = 0;
  bool other_grad_mode = false;
  std::vector<double> other_grad;
  {
    NoGradGuard no_grad; // grad mode is per thread too: the other thread still records
    std::thread other([&] {
      Tensor y = tensor({3.0}, kFloat64).requires_grad_();
      const Tensor loss = sum(y * y);
      other_size = Tape::current().size();
      other_grad_mode = GradMode::is_enabled();
      loss.backward();
      other_grad = y.grad().to_vector<double>();
      clear_tape();
    });
    other.join();
  }
  CHECK(other_size == 3);
  CHECK(other_grad_mode);
  CHECK(other_grad == std::vector<double>{6.0});
  CHECK(Tape::current().size() == 1); // untouched by the other thread
  CHECK_FALSE(Tape::current().walked());
  sum(here).backward();
  check_close(x.grad(), {std::exp(1.0), std::exp(2.0)});
}

TEST_CASE("backward on a loss recorded on another thread is an error, not a crash", "[tape]") {
  // Regression: walking the main thread's tape with a record index from a worker's tape crashed.
  FreshTape fresh;
  Tensor x = tensor({1.0, 2.0}, kFloat64).requires_grad_();
  Tensor loss;
  std::thread worker([&] { loss = sum(x * x); }); // the worker's tape is gone when it exits
  worker.join();
  CHECK_THAT(error_of([&] { loss.backward(); }),
             Contains("backward") && Contains("another thread's tape"));
  CHECK_FALSE(x.grad().defined());
  CHECK(Tape::current().size() == 0);

  // Also while the worker is alive, with its tape full.
  std::string message;
  Tensor worker_loss;
  std::thread alive([&] {
    worker_loss = sum(exp(x));
    std::thread([&] { // Catch's assertions are for the main thread: catch by hand here
      try {
        worker_loss.backward();
      } catch (const Error& error) {
        message = error.what();
      }
    })
        .join();
    clear_tape();
  });
  alive.join();
  CHECK_THAT(message, Contains("another thread's tape"));
}

TEST_CASE("an op on a tensor recorded on another thread's tape is an error, not a lost gradient",
          "[tape]") {
  // Regression: a graph whose first op ran on a worker and whose loss was on the main thread left
  // x.grad() silently undefined.
  FreshTape fresh;
  Tensor x = tensor({1.0, 2.0}, kFloat64).requires_grad_();
  Tensor hidden;
  std::thread worker([&] { hidden = exp(x); });
  worker.join();
  CHECK_THAT(error_of([&] { sum(hidden * 2.0); }),
             Contains("mul") && Contains("another thread's tape") && Contains("detach()"));
  // Detached, it is a constant here, and the rest of the graph works.
  const Tensor loss = sum(hidden.detach() * x);
  loss.backward();
  check_close(x.grad(), {std::exp(1.0), std::exp(2.0)});
  // Without grad nothing is recorded, so nothing is wrong: the values are usable.
  NoGradGuard no_grad;
  check_close(hidden * 2.0, {2.0 * std::exp(1.0), 2.0 * std::exp(2.0)});
}
