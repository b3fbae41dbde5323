#include "mdn/resolution.hpp"

#include "autograd/tape.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace tapegrad::mdn {

std::vector<double> column_resolution(const Tensor& data) {
  const std::int64_t n = data.size(0), c = data.size(1);
  const std::vector<double> v = data.to_vector<double>();
  std::vector<double> out;
  for (std::int64_t j = 0; j < c; ++j) {
    std::vector<double> column;
    for (std::int64_t i = 0; i < n; ++i)
      column.push_back(v[static_cast<std::size_t>(i * c + j)]);
    std::sort(column.begin(), column.end());
    double gap = std::numeric_limits<double>::infinity();
    for (std::size_t i = 1; i < column.size(); ++i)
      if (column[i] > column[i - 1])
        gap = std::min(gap, column[i] - column[i - 1]);
    out.push_back(std::isfinite(gap) ? gap : 0.0);
  }
  return out;
}

double resolution_floor(const std::vector<double>& resolution, const std::vector<double>& stddev,
                        double floor) {
  double smallest = std::numeric_limits<double>::infinity();
  for (std::size_t j = 0; j < resolution.size(); ++j)
    smallest = std::min(smallest, resolution[j] / stddev[j] / std::sqrt(12.0));
  return std::isfinite(smallest) ? std::max(floor, smallest) : floor;
}

std::vector<std::string> collapse_warnings(const Mixture& mixture, const Tensor& y,
                                           const std::vector<double>& scale_floor,
                                           std::int64_t components_per_network,
                                           const std::vector<std::string>& y_names,
                                           const std::string& source) {
  NoGradGuard no_grad;
  const std::int64_t b = mixture.batch_size(), k = mixture.num_components(), d = mixture.dim();
  const std::vector<double> resp = mixture.responsibilities(y).to_vector<double>();
  const std::vector<double> target = y.to_vector<double>();
  const std::vector<double> scale = mixture.scale.to_vector<double>();
  const std::int64_t width = mixture.scale.dim() == 4 ? d * d : mixture.scale.size(2);
  // The standard deviation of coordinate j of component c at row r, in the data's units.
  const auto stddev = [&](std::int64_t r, std::int64_t c, std::int64_t j) {
    const std::size_t base = static_cast<std::size_t>((r * k + c) * width);
    if (mixture.scale.dim() == 4) { // full: the norm of row j of L
      double sum = 0;
      for (std::int64_t i = 0; i <= j; ++i)
        sum += std::pow(scale[base + static_cast<std::size_t>(j * d + i)], 2);
      return std::sqrt(sum);
    }
    return scale[base + static_cast<std::size_t>(width == 1 ? 0 : j)];
  };
  std::vector<std::string> warnings;
  const auto value_of = [&](std::int64_t r) {
    return std::vector<double>(target.begin() + r * d, target.begin() + (r + 1) * d);
  };
  const auto at_floor = [&](std::int64_t r, std::int64_t c) {
    for (std::int64_t j = 0; j < d; ++j)
      if (stddev(r, c, j) > 1.1 * scale_floor[static_cast<std::size_t>(j)])
        return false;
    return true;
  };
  for (std::int64_t c = 0; c < k; ++c) {
    // The rows the component explains with its scale at the floor, counted by their value.
    std::map<std::vector<double>, std::int64_t> counts;
    std::int64_t rows = 0;
    for (std::int64_t r = 0; r < b; ++r)
      if (resp[static_cast<std::size_t>(r * k + c)] > 0.5 && at_floor(r, c)) {
        ++rows;
        ++counts[value_of(r)];
      }
    if (rows == 0)
      continue;
    const auto top =
        std::max_element(counts.begin(), counts.end(),
                         [](const auto& a, const auto& b) { return a.second < b.second; });
    if (top->second < kCollapseRows || 2 * top->second <= rows)
      continue;
    std::string value, columns;
    for (std::int64_t j = 0; j < d; ++j) {
      value += fmt::format("{}{:.6g}", j ? ", " : "", top->first[static_cast<std::size_t>(j)]);
      columns += fmt::format("{}'{}'", j ? ", " : "", y_names[static_cast<std::size_t>(j)]);
    }
    warnings.push_back(fmt::format(
        "{}: component {} of network {} has collapsed onto {} = {}: it explains {} training "
        "rows of that value with its scale at the floor ({:.4g}), a spike that held-out rows "
        "near that value may not share (their NLL can be far worse than the training rows'); a "
        "coarser floor (min_scale) or fewer components avoids it",
        source, c % components_per_network + 1, c / components_per_network + 1, columns, value,
        top->second, scale_floor.front()));
  }
  return warnings;
}

} // namespace tapegrad::mdn
