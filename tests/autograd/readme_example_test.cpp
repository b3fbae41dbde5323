// Runs the worked example of autograd/README.md word for word, so the README cannot drift.
#include <autograd/autograd.hpp>

#include <catch2/catch.hpp>

using namespace tapegrad;

namespace {

// The "Adding an op" example of the README.
Tensor cube(const Tensor& x) {
  Tensor y = x.detach() * x.detach() * x.detach();
  return record("cube", y, {x},
                [x](const Tensor& gy) { accumulate_grad(x, gy * 3.0 * x.detach() * x.detach()); });
}

} // namespace

TEST_CASE("README worked example: the tape records three ops and replays them backwards") {
  clear_tape();
  Tensor x = scalar_tensor(2.0, kFloat64).requires_grad_().set_name("x");
  Tensor w = scalar_tensor(3.0, kFloat64).requires_grad_().set_name("w");
  Tensor a = x * w;
  Tensor s = a + x;
  Tensor y = s.square();
  CHECK(tape_trace() == "tape: 3 records\n"
                        "  #0   mul          -> []             from x [], w []\n"
                        "  #1   add          -> []             from #0 [], x []\n"
                        "  #2   square       -> []             from #1 []\n");
  CHECK(y.item<double>() == 64.0);

  y.backward();
  CHECK(s.grad().item<double>() == 16.0);
  CHECK(a.grad().item<double>() == 16.0);
  CHECK(x.grad().item<double>() == 64.0);
  CHECK(w.grad().item<double>() == 32.0);
  const std::string dot = to_dot(y);
  CHECK(dot.find("#2 square") != std::string::npos);
  CHECK(dot.find("x\\n[]\\n|grad| = 64") != std::string::npos);
  clear_tape();
}

TEST_CASE("README: a new op written with record() passes gradcheck") {
  Generator gen(0);
  Tensor x = randn({3, 4}, gen, kFloat64).requires_grad_();
  auto result = gradcheck([](const std::vector<Tensor>& in) { return cube(in[0]); }, {x});
  INFO(result.message);
  REQUIRE(result);
}
