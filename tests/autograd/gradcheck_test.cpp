// gradcheck itself: it catches a deliberately wrong backward (naming the worst entry), passes the
// right one, rejects inputs it cannot check, and leaves the caller's tensors alone.
#include "tests/support/autograd_helpers.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstring>

using namespace tapegrad;
using Catch::Matchers::Contains;
using tapegrad::test::check_gradients;
using tapegrad::test::error_of;
using tapegrad::test::FreshTape;

namespace {

// A new op written the way an extender writes one: the forward loop over data_ptr, then the
// record with its backward. y = x^2, whose derivative is 2x; bad_square's backward "forgets" the 2.
template <bool kCorrect> Tensor square_op(const Tensor& x) {
  const char* op = kCorrect ? "good_square" : "bad_square";
  Tensor y = empty_like(x);
  dispatch_floating(x.dtype(), op, [&]<class T>() {
    const T* in = x.data_ptr<T>();
    T* out = y.data_ptr<T>();
    for (std::int64_t i = 0; i < x.numel(); ++i)
      out[i] = in[i] * in[i];
  });
  if constexpr (kCorrect)
    return tapegrad::record(op, y, {x},
                            [x](const Tensor& gy) { accumulate_grad(x, gy * x * 2.0); });
  else
    return tapegrad::record(op, y, {x}, [x](const Tensor& gy) { accumulate_grad(x, gy * x); });
}

// A binary op whose backward forgets its second input.
Tensor forgetful_mul(const Tensor& a, const Tensor& b) {
  Tensor z;
  {
    NoGradGuard no_grad;
    z = a * b;
  }
  return tapegrad::record("forgetful_mul", z, {a, b},
                          [a, b](const Tensor& gz) { accumulate_grad(a, gz * b); });
}

} // namespace

TEST_CASE("a deliberately wrong backward fails gradcheck, naming the worst entry", "[gradcheck]") {
  FreshTape fresh;
  // Distinct magnitudes: the worst entry is the largest |x|, here 2.5 at flat index 4.
  const std::vector<double> xs{0.5, -1.25, 1.0, -0.75, 2.5, 1.5};
  const Tensor x = from_vector(xs, {2, 3}).requires_grad_();

  const GradcheckResult bad =
      gradcheck([](const auto& in) { return square_op<false>(in[0]); }, {x});
  INFO(bad.message);
  CHECK_FALSE(bad.passed);
  CHECK_FALSE(static_cast<bool>(bad));
  CHECK(bad.worst_ratio > 1.0);
  CHECK(bad.input == 0);
  CHECK(bad.input_element == 4);
  CHECK(bad.output_element == 4);
  CHECK(bad.analytic == Approx(2.5).epsilon(1e-12)); // what the wrong backward says: x
  CHECK(bad.numeric == Approx(5.0).epsilon(1e-6));   // the true derivative: 2x
  CHECK_THAT(bad.message, Contains("FAILED") && Contains("d output[4] / d input 0[4]") &&
                              Contains("analytic 2.5, numeric ") && Contains("allowed"));
}

TEST_CASE("the same op with the right backward passes gradcheck", "[gradcheck]") {
  FreshTape fresh;
  const Tensor x = tapegrad::test::uniform({2, 3}, 11, -2, 2).requires_grad_();
  const GradcheckResult good =
      gradcheck([](const auto& in) { return square_op<true>(in[0]); }, {x});
  INFO(good.message);
  CHECK(good.passed);
  CHECK(good.worst_ratio <= 1.0);
  CHECK(good.output_element == good.input_element); // the Jacobian is diagonal
  CHECK(std::abs(good.analytic - good.numeric) <= 1e-5 + 1e-3 * std::abs(good.numeric));
  CHECK_THAT(good.message, Contains("gradcheck passed"));

  // The forward agrees with the library's square, in float32 too.
  const Tensor x32 = tapegrad::test::uniform({5}, 12, -3, 3, kFloat32);
  CHECK(square_op<true>(x32).to_vector<float>() == square(x32).to_vector<float>());
}

TEST_CASE("gradcheck finds a gradient missing for one input", "[gradcheck]") {
  FreshTape fresh;
  const Tensor a = tapegrad::test::uniform({3}, 1, 0.5, 2).requires_grad_();
  const Tensor b = tapegrad::test::uniform({3}, 2, 0.5, 2).requires_grad_();
  const auto f = [](const auto& in) { return forgetful_mul(in[0], in[1]); };
  const GradcheckResult result = gradcheck(f, {a, b});
  INFO(result.message);
  CHECK_FALSE(result.passed);
  CHECK(result.input == 1);
  CHECK(result.analytic == 0.0);
  CHECK(result.numeric == Approx(a.at({result.input_element})).epsilon(1e-6));

  // Checking only the first input passes: b is passed through as a constant.
  check_gradients(f, {a, b.detach()});
}

TEST_CASE("gradcheck rejects inputs it cannot check", "[gradcheck][errors]") {
  FreshTape fresh;
  const auto f = [](const auto& in) { return exp(in[0]); };
  const Tensor x32 = tensor({1, 2}).requires_grad_();
  CHECK_THAT(error_of([&] { gradcheck(f, {x32}); }),
             Contains("gradcheck") && Contains("input 0 is float32") && Contains("float64"));
  const Tensor constant = tensor({1, 2}, kFloat64);
  CHECK_THAT(error_of([&] { gradcheck(f, {constant}); }),
             Contains("gradcheck") && Contains("no input has requires_grad"));
}

TEST_CASE("gradcheck leaves the caller's inputs untouched", "[gradcheck]") {
  FreshTape fresh;
  Tensor x = tapegrad::test::uniform({3, 2}, 5, -1, 1).requires_grad_();
  const Tensor index = from_vector(std::vector<std::int64_t>{1, 0, 1}, {3});
  const std::vector<double> before = x.to_vector<double>();
  const double* data = x.data_ptr<double>();

  const GradcheckResult result =
      gradcheck([](const auto& in) { return index_select(tanh(in[0]), 0, in[1]); }, {x, index});
  INFO(result.message);
  CHECK(result.passed);
  CHECK(x.to_vector<double>() == before); // bit for bit
  CHECK(x.data_ptr<double>() == data);
  CHECK(x.requires_grad());
  CHECK(x.is_leaf());
  CHECK_FALSE(x.grad().defined()); // gradcheck differentiates private copies
  CHECK(index.to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 0, 1});
  CHECK(Tape::current().size() == 0); // and clears the tape it used
}

TEST_CASE("gradcheck handles outputs that do not depend on the input", "[gradcheck]") {
  FreshTape fresh;
  const Tensor x = tensor({1.0, 2.0}, kFloat64).requires_grad_();
  const Tensor c = tensor({3.0, 4.0, 5.0}, kFloat64);
  // Concatenating a constant: half of the Jacobian is zero, analytically and numerically.
  check_gradients([&c](const auto& in) { return cat({in[0] * 2.0, c}, 0); }, {x});
  // An output that is a leaf itself.
  check_gradients([](const auto& in) { return in[0]; }, {x});
}
