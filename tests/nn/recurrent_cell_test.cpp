// The fused recurrent cells (nn::gru_cell, nn::lstm_cell): equal to the cells composed of engine
// ops in value and gradient, gradcheck in every input, padding passes the state through, the same
// bits on 1 and 2 threads, and errors that name what is wrong.
#include "nn/gru_cell.hpp"
#include "nn/lstm_cell.hpp"
#include "tests/support/autograd_helpers.hpp"

#include <omp.h>

#include <functional>

using namespace tapegrad;
using Catch::Matchers::Contains;
using tapegrad::test::error_of;
using tapegrad::test::FreshTape;

namespace {

using CellOp = std::function<Tensor(const Tensor&, const Tensor&, const Tensor&, const Tensor&,
                                    const Tensor&, const Tensor&, const Tensor&)>;

struct CellCase {
  Tensor x, state, weight_ih, weight_hh, bias_ih, bias_hh, mask;
  std::vector<Tensor> inputs() const { return {x, state, weight_ih, weight_hh, bias_ih, bias_hh}; }
};

// A cell's operands: gates 3 (GRU) or 4 (LSTM), state_parts 1 ([h]) or 2 ([h | c]); the mask
// pads every third row when `masked`.
CellCase make_case(std::int64_t gates, std::int64_t state_parts, std::int64_t batch,
                   std::int64_t in, std::int64_t hidden, bool masked, std::uint64_t seed,
                   DType dtype = kFloat64) {
  Generator gen(seed);
  const auto leaf = [&](const Shape& shape, double scale) {
    return (randn(shape, gen, dtype) * scale).detach().requires_grad_();
  };
  CellCase c{leaf({batch, in}, 1.0),
             leaf({batch, state_parts * hidden}, 0.8),
             leaf({gates * hidden, in}, 0.6),
             leaf({gates * hidden, hidden}, 0.6),
             leaf({gates * hidden}, 0.3),
             leaf({gates * hidden}, 0.3),
             Tensor()};
  if (masked) {
    std::vector<double> m;
    for (std::int64_t b = 0; b < batch; ++b)
      m.push_back(b % 3 == 1 ? 0.0 : 1.0);
    c.mask = from_vector(m, {batch}, dtype);
  }
  return c;
}

struct Evaluated {
  std::vector<double> value;
  std::vector<std::vector<double>> grads;
};

// The op's value and the gradients of a weighted sum of its output with respect to every input.
Evaluated evaluate(const CellOp& op, const CellCase& c, std::uint64_t weight_seed) {
  const Tensor out = op(c.x, c.state, c.weight_ih, c.weight_hh, c.bias_ih, c.bias_hh, c.mask);
  Generator gen(weight_seed);
  (out * randn(out.shape(), gen, out.dtype())).sum().backward();
  Evaluated e{out.to_vector<double>(), {}};
  for (const Tensor& t : c.inputs()) {
    e.grads.push_back(t.grad().to_vector<double>());
    Tensor(t).zero_grad();
  }
  clear_tape();
  return e;
}

void check_fused_equals_composed(const CellOp& fused, const CellOp& composed, std::int64_t gates,
                                 std::int64_t state_parts) {
  for (std::int64_t hidden : {1, 3, 8, 17, 40}) // below, at and across SIMD widths
    for (bool masked : {false, true}) {
      INFO("hidden " << hidden << (masked ? ", masked" : ""));
      const CellCase c = make_case(gates, state_parts, 7, 5, hidden, masked,
                                   static_cast<std::uint64_t>(hidden * 2 + masked));
      const Evaluated a = evaluate(fused, c, 99), b = evaluate(composed, c, 99);
      REQUIRE(a.value.size() == b.value.size());
      for (std::size_t i = 0; i < a.value.size(); ++i)
        CHECK(a.value[i] == Approx(b.value[i]).epsilon(1e-13).margin(1e-14));
      const char* names[] = {"x", "state", "weight_ih", "weight_hh", "bias_ih", "bias_hh"};
      for (std::size_t t = 0; t < a.grads.size(); ++t)
        for (std::size_t i = 0; i < a.grads[t].size(); ++i) {
          INFO("d/d" << names[t] << "[" << i << "]");
          CHECK(a.grads[t][i] == Approx(b.grads[t][i]).epsilon(1e-12).margin(1e-13));
        }
    }
}

void check_gradcheck(const CellOp& op, std::int64_t gates, std::int64_t state_parts) {
  for (bool masked : {false, true}) {
    INFO((masked ? "masked" : "no mask"));
    const CellCase c = make_case(gates, state_parts, 4, 3, 5, masked, 7 + masked);
    const Tensor mask = c.mask;
    const GradcheckResult result = gradcheck(
        [&](const std::vector<Tensor>& in) {
          return op(in[0], in[1], in[2], in[3], in[4], in[5], mask);
        },
        c.inputs());
    INFO(result.message);
    CHECK(result.passed);
  }
}

const CellOp kGru = [](auto&&... a) { return nn::gru_cell(a...); };
const CellOp kGruComposed = [](auto&&... a) { return nn::gru_cell_composed(a...); };
const CellOp kLstm = [](auto&&... a) { return nn::lstm_cell(a...); };
const CellOp kLstmComposed = [](auto&&... a) { return nn::lstm_cell_composed(a...); };

} // namespace

TEST_CASE_METHOD(FreshTape, "the fused GRU cell equals the composed one in value and gradient",
                 "[nn][recurrent]") {
  check_fused_equals_composed(kGru, kGruComposed, 3, 1);
}

TEST_CASE_METHOD(FreshTape, "the fused LSTM cell equals the composed one in value and gradient",
                 "[nn][recurrent]") {
  check_fused_equals_composed(kLstm, kLstmComposed, 4, 2);
}

TEST_CASE_METHOD(FreshTape, "the fused cells in float32 stay within float rounding of float64",
                 "[nn][recurrent]") {
  for (const auto& [op, gates, parts] : {std::tuple{kGru, 3, 1}, std::tuple{kLstm, 4, 2}}) {
    const CellCase c64 = make_case(gates, parts, 6, 4, 33, true, 5);
    CellCase c32;
    for (auto [from, to] : {std::pair{&c64.x, &c32.x},
                            {&c64.state, &c32.state},
                            {&c64.weight_ih, &c32.weight_ih},
                            {&c64.weight_hh, &c32.weight_hh},
                            {&c64.bias_ih, &c32.bias_ih},
                            {&c64.bias_hh, &c32.bias_hh},
                            {&c64.mask, &c32.mask}})
      *to = from->detach().to(kFloat32);
    const std::vector<double> v64 =
        op(c64.x, c64.state, c64.weight_ih, c64.weight_hh, c64.bias_ih, c64.bias_hh, c64.mask)
            .to_vector<double>();
    const std::vector<double> v32 =
        op(c32.x, c32.state, c32.weight_ih, c32.weight_hh, c32.bias_ih, c32.bias_hh, c32.mask)
            .to_vector<double>();
    for (std::size_t i = 0; i < v64.size(); ++i)
      CHECK(v32[i] == Approx(v64[i]).margin(2e-6));
    clear_tape();
  }
}

TEST_CASE_METHOD(FreshTape, "gru_cell passes gradcheck in every input, with and without a mask",
                 "[nn][recurrent][gradcheck]") {
  check_gradcheck(kGru, 3, 1);
  check_gradcheck(kGruComposed, 3, 1);
}

TEST_CASE_METHOD(FreshTape, "lstm_cell passes gradcheck in every input, with and without a mask",
                 "[nn][recurrent][gradcheck]") {
  check_gradcheck(kLstm, 4, 2);
  check_gradcheck(kLstmComposed, 4, 2);
}

TEST_CASE_METHOD(FreshTape,
                 "a padded row keeps its state and sends no gradient into the weights or x",
                 "[nn][recurrent]") {
  for (const auto& [op, gates, parts] : {std::tuple{kGru, 3, 1}, std::tuple{kLstm, 4, 2}}) {
    CellCase c = make_case(gates, parts, 3, 2, 4, false, 3);
    c.mask = from_vector<double>({1.0, 0.0, 1.0}, {3});
    const Tensor out = op(c.x, c.state, c.weight_ih, c.weight_hh, c.bias_ih, c.bias_hh, c.mask);
    const Tensor row = out.slice(0, 1, 2);
    CHECK(test::values_of(row) == test::values_of(c.state.slice(0, 1, 2)));
    row.sum().backward(); // only the padded row reaches the loss
    CHECK(test::values_of(c.state.grad().slice(0, 1, 2)) ==
          std::vector<double>(static_cast<std::size_t>(parts * 4), 1.0));
    for (const Tensor& t : {c.x, c.weight_ih, c.weight_hh, c.bias_ih, c.bias_hh}) {
      const std::vector<double> g = test::values_of(t.grad());
      CHECK(std::all_of(g.begin(), g.end(), [](double v) { return v == 0.0; }));
    }
    clear_tape();
  }
}

TEST_CASE_METHOD(FreshTape, "the fused cells give the same bits on 1 and 2 threads",
                 "[nn][recurrent]") {
  const int threads = omp_get_max_threads();
  for (const auto& [op, gates, parts] : {std::tuple{kGru, 3, 1}, std::tuple{kLstm, 4, 2}}) {
    // Enough rows for several parallel blocks of the gate loops.
    const CellCase c = make_case(gates, parts, 512, 16, 64, true, 17, kFloat32);
    std::vector<Evaluated> runs;
    for (int n : {1, 2}) {
      omp_set_num_threads(n);
      runs.push_back(evaluate(op, c, 5));
    }
    omp_set_num_threads(threads);
    CHECK(runs[0].value == runs[1].value);
    CHECK(runs[0].grads == runs[1].grads);
  }
}

TEST_CASE_METHOD(FreshTape, "the cells name the operand whose shape or values are wrong",
                 "[nn][recurrent]") {
  const CellCase c = make_case(3, 1, 4, 3, 5, false, 1);
  CHECK_THAT(error_of([&] {
               nn::gru_cell(c.x, c.state.slice(1, 0, 4), c.weight_ih, c.weight_hh, c.bias_ih,
                            c.bias_hh);
             }),
             Contains("gru_cell: the state has shape [4, 4], expected [4, 5] (h)"));
  CHECK_THAT(error_of([&] {
               nn::gru_cell(c.x.slice(1, 0, 2), c.state, c.weight_ih, c.weight_hh, c.bias_ih,
                            c.bias_hh);
             }),
             Contains("weight_ih has shape [15, 3], expected [15, 2]"));
  CHECK_THAT(error_of([&] {
               nn::gru_cell(c.x, c.state, c.weight_ih, c.weight_hh, c.bias_ih, c.bias_hh,
                            from_vector<double>({1, 0.5, 1, 1}, {4}));
             }),
             Contains("mask[1] is 0.5, expected 0 (padding) or 1 (a step)"));
  const CellCase l = make_case(4, 2, 2, 3, 5, false, 1);
  CHECK_THAT(error_of([&] {
               nn::lstm_cell(l.x, l.state.slice(1, 0, 5), l.weight_ih, l.weight_hh, l.bias_ih,
                             l.bias_hh);
             }),
             Contains("lstm_cell: the state has shape [2, 5], expected [2, 10] (h then c)"));
  CHECK_THAT(error_of([&] {
               nn::lstm_cell(l.x.to(kFloat32), l.state, l.weight_ih, l.weight_hh, l.bias_ih,
                             l.bias_hh);
             }),
             Contains("the input is float32 but the state or a weight is float64"));
}
