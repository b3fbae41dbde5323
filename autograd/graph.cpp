#include "autograd/graph.hpp"

#include "autograd/tape.hpp"

#include <fmt/format.h>

#include <cmath>
#include <map>
#include <set>
#include <vector>

namespace tapegrad {

namespace {

// The record that produced this tensor on the current tape, or -1 for a leaf (or a tensor whose
// history was cleared).
std::int64_t producer(const TensorImpl& t) {
  return t.record >= 0 && t.tape_generation == Tape::current().generation() ? t.record : -1;
}

std::string grad_norm(const TensorImpl& t) {
  if (!t.grad)
    return "";
  double sum = 0;
  for (double g : Tensor(t.grad).to_vector<double>())
    sum += g * g;
  return fmt::format("\\n|grad| = {:.4g}", std::sqrt(sum));
}

std::string leaf_label(const TensorImpl& t) {
  return t.name.empty() ? (t.requires_grad ? "leaf" : "const") : t.name;
}

} // namespace

std::string to_dot(const Tensor& root) {
  const auto& records = Tape::current().records();
  std::string out =
      "digraph tape {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=10];\n";
  std::map<const TensorImpl*, std::string> leaves;
  const auto leaf_id = [&](const TensorImpl& t) {
    auto [it, inserted] = leaves.emplace(&t, fmt::format("leaf{}", leaves.size()));
    if (inserted)
      out += fmt::format("  {} [shape=ellipse, label=\"{}\\n{}{}\"];\n", it->second, leaf_label(t),
                         t.shape, grad_norm(t));
    return it->second;
  };

  const std::int64_t top = producer(*root.impl());
  if (top < 0) {
    leaf_id(*root.impl());
    return out + "}\n";
  }
  std::set<std::int64_t> seen{top};
  std::vector<std::int64_t> pending{top};
  while (!pending.empty()) {
    const std::int64_t r = pending.back();
    pending.pop_back();
    const TapeRecord& record = records[static_cast<std::size_t>(r)];
    out += fmt::format(
        "  op{} [shape=box, style=filled, fillcolor=\"#dbe9f6\", label=\"#{} {}\\n{}{}\"];\n", r, r,
        record.op, record.output->shape, grad_norm(*record.output));
    for (const auto& input : record.inputs) {
      const std::int64_t from = producer(*input);
      out += fmt::format("  {} -> op{};\n", from >= 0 ? fmt::format("op{}", from) : leaf_id(*input),
                         r);
      if (from >= 0 && seen.insert(from).second)
        pending.push_back(from);
    }
  }
  return out + "}\n";
}

std::string tape_trace() {
  const Tape& tape = Tape::current();
  std::string out = fmt::format("tape: {} record{}{}\n", tape.size(), tape.size() == 1 ? "" : "s",
                                tape.walked() ? " (walked)" : "");
  std::int64_t r = 0;
  for (const TapeRecord& record : tape.records()) {
    std::string inputs;
    for (const auto& input : record.inputs) {
      const std::int64_t from = producer(*input);
      inputs +=
          fmt::format("{}{} {}", inputs.empty() ? "" : ", ",
                      from >= 0 ? fmt::format("#{}", from) : leaf_label(*input), input->shape);
    }
    out += fmt::format("  #{:<3} {:<12} -> {:<14} from {}\n", r++, record.op,
                       record.output->shape.str(), inputs);
  }
  return out;
}

} // namespace tapegrad
