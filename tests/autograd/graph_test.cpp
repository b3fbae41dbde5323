// to_dot and tape_trace: the recorded graph as Graphviz DOT and as text.
#include "tests/support/autograd_helpers.hpp"

#include <cmath>

using namespace tapegrad;
using Catch::Matchers::Contains;
using Catch::Matchers::EndsWith;
using Catch::Matchers::StartsWith;
using tapegrad::test::FreshTape;

TEST_CASE("to_dot shows each op with its output shape, and gradient norms after backward",
          "[graph]") {
  FreshTape fresh;
  Tensor x = from_vector(std::vector<double>{3, 0, 0, 0, 0, 4}, {2, 3}).requires_grad_();
  x.set_name("x");
  const Tensor w = ones({3}, kFloat64).set_name("w"); // a constant
  const Tensor y = exp(x) * w;
  const Tensor loss = sum(y);

  const std::string before = to_dot(loss);
  CHECK_THAT(before, StartsWith("digraph tape {"));
  CHECK_THAT(before, EndsWith("}\n"));
  CHECK_THAT(before, Contains("#0 exp\\n[2, 3]"));
  CHECK_THAT(before, Contains("#1 mul\\n[2, 3]"));
  CHECK_THAT(before, Contains("#2 reshape\\n[6]"));
  CHECK_THAT(before, Contains("#3 sum\\n[]"));
  CHECK_THAT(before, Contains("label=\"x\\n[2, 3]\""));
  CHECK_THAT(before, Contains("label=\"w\\n[3]\""));
  CHECK_THAT(before, Contains("op0 -> op1"));
  CHECK_THAT(before, Contains("op2 -> op3"));
  CHECK_THAT(before, !Contains("|grad|"));

  loss.backward();
  const std::string after = to_dot(loss);
  CHECK_THAT(after, Contains("|grad|"));
  // x's gradient is exp(x): its norm sqrt(e^6 + 4 + e^8).
  const std::string x_norm = fmt::format("{:.4g}", std::sqrt(std::exp(6.0) + 4.0 + std::exp(8.0)));
  CHECK_THAT(after, Contains("label=\"x\\n[2, 3]\\n|grad| = " + x_norm + "\""));
  CHECK_THAT(after, Contains("#3 sum\\n[]\\n|grad| = 1\""));
}

TEST_CASE("to_dot of a leaf is a single ellipse", "[graph]") {
  FreshTape fresh;
  const Tensor c = zeros({2});
  const std::string dot = to_dot(c);
  CHECK_THAT(dot, Contains("leaf0 [shape=ellipse, label=\"const\\n[2]\"]"));
  CHECK_THAT(dot, !Contains("->"));
}

TEST_CASE("tape_trace lists the records in the order they were made", "[graph]") {
  FreshTape fresh;
  CHECK(tape_trace() == "tape: 0 records\n");

  Tensor a = tensor({1.0, 2.0}, kFloat64).requires_grad_();
  a.set_name("a");
  const Tensor b = tanh(a);
  const Tensor loss = sum(b * a);
  const std::string trace = tape_trace();
  CHECK_THAT(trace, StartsWith("tape: 4 records\n"));
  const auto tanh_at = trace.find("#0   tanh"), mul_at = trace.find("#1   mul"),
             reshape_at = trace.find("#2   reshape"), sum_at = trace.find("#3   sum");
  REQUIRE(tanh_at != std::string::npos);
  REQUIRE(mul_at != std::string::npos);
  REQUIRE(reshape_at != std::string::npos);
  REQUIRE(sum_at != std::string::npos);
  CHECK(tanh_at < mul_at);
  CHECK(mul_at < reshape_at);
  CHECK(reshape_at < sum_at);
  CHECK_THAT(trace, Contains("from a [2]\n"));         // tanh's input is the named leaf
  CHECK_THAT(trace, Contains("from #0 [2], a [2]\n")); // mul's inputs: tanh's output and a

  loss.backward();
  CHECK_THAT(tape_trace(), StartsWith("tape: 4 records (walked)\n"));
  clear_tape();
  CHECK(tape_trace() == "tape: 0 records\n");
  const Tensor one = exp(a);
  CHECK_THAT(tape_trace(), StartsWith("tape: 1 record\n"));
}
