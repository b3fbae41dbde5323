#include "autograd/gradcheck.hpp"

#include "autograd/ops.hpp"

#include <cmath>

namespace tapegrad {

namespace {

// J[output element][input element] for one input, flattened row-major.
using Jacobian = std::vector<double>;

std::vector<double> evaluate(const GradcheckFunction& f, const std::vector<Tensor>& inputs) {
  NoGradGuard no_grad;
  return f(inputs).to_vector<double>();
}

} // namespace

GradcheckResult gradcheck(const GradcheckFunction& f, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& options) {
  clear_tape();
  // Private leaves, so that perturbing them never touches the caller's tensors.
  std::vector<Tensor> leaves;
  std::vector<std::size_t> checked;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& input = inputs[i];
    Tensor leaf = input.detach().clone();
    if (input.requires_grad()) {
      if (input.dtype() != kFloat64)
        fail("gradcheck: input {} is {}; finite differences need float64 (use "
             ".to(tapegrad::kFloat64))",
             i, input.dtype());
      leaf.requires_grad_();
      checked.push_back(i);
    }
    leaves.push_back(leaf);
  }
  if (checked.empty())
    fail("gradcheck: no input has requires_grad set, so there is nothing to check");

  const std::int64_t outputs = static_cast<std::int64_t>(evaluate(f, leaves).size());
  std::vector<Jacobian> analytic(inputs.size()), numeric(inputs.size());

  // Analytic: one backward pass per output element, seeded with that element's indicator.
  for (std::size_t i : checked)
    analytic[i].assign(static_cast<std::size_t>(outputs * leaves[i].numel()), 0.0);
  for (std::int64_t j = 0; j < outputs; ++j) {
    for (std::size_t i : checked)
      leaves[i].zero_grad();
    Tensor y = f(leaves);
    if (y.requires_grad()) {
      Tensor seed = zeros_like(y);
      dispatch_floating(y.dtype(), "gradcheck", [&]<class T>() { seed.data_ptr<T>()[j] = T(1); });
      y.backward(seed);
    }
    clear_tape();
    for (std::size_t i : checked) {
      const Tensor g = leaves[i].grad();
      if (!g.defined())
        continue; // this input does not reach the output
      const std::vector<double> values = g.to_vector<double>();
      for (std::size_t e = 0; e < values.size(); ++e)
        analytic[i][static_cast<std::size_t>(j) * values.size() + e] = values[e];
    }
  }

  // Numeric: central differences (f(x + eps) - f(x - eps)) / (2 eps), one input element at a time.
  for (std::size_t i : checked) {
    const std::int64_t n = leaves[i].numel();
    numeric[i].assign(static_cast<std::size_t>(outputs * n), 0.0);
    double* x = leaves[i].data_ptr<double>();
    for (std::int64_t e = 0; e < n; ++e) {
      const double original = x[e];
      x[e] = original + options.eps;
      const std::vector<double> plus = evaluate(f, leaves);
      x[e] = original - options.eps;
      const std::vector<double> minus = evaluate(f, leaves);
      x[e] = original;
      for (std::int64_t j = 0; j < outputs; ++j) {
        const auto k = static_cast<std::size_t>(j);
        numeric[i][static_cast<std::size_t>(j * n + e)] = (plus[k] - minus[k]) / (2 * options.eps);
      }
    }
  }

  GradcheckResult result;
  result.worst_ratio = -1;
  for (std::size_t i : checked) {
    const std::int64_t n = leaves[i].numel();
    for (std::int64_t j = 0; j < outputs; ++j)
      for (std::int64_t e = 0; e < n; ++e) {
        const auto k = static_cast<std::size_t>(j * n + e);
        const double a = analytic[i][k], num = numeric[i][k];
        const double ratio = std::isfinite(a) && std::isfinite(num)
                                 ? std::abs(a - num) / (options.atol + options.rtol * std::abs(num))
                                 : INFINITY;
        if (ratio > result.worst_ratio) {
          result.worst_ratio = ratio;
          result.input = i;
          result.input_element = e;
          result.output_element = j;
          result.analytic = a;
          result.numeric = num;
        }
      }
  }
  result.passed = result.worst_ratio <= 1.0;
  result.message = fmt::format(
      "gradcheck {}: worst entry is d output[{}] / d input {}[{}]: analytic {:.10g}, numeric "
      "{:.10g} "
      "(|difference| {:.3g}, allowed {:.3g} = atol {:g} + rtol {:g} * |numeric|)",
      result.passed ? "passed" : "FAILED", result.output_element, result.input,
      result.input_element, result.analytic, result.numeric,
      std::abs(result.analytic - result.numeric),
      options.atol + options.rtol * std::abs(result.numeric), options.atol, options.rtol);
  return result;
}

} // namespace tapegrad
