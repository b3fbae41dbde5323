#pragma once
// Targets recorded at a coarse resolution (whole units, a rounded sensor) repeat the same values.
// A Gaussian component can then shrink onto one repeated value: its scale falls to the floor and
// its density there becomes a spike that buys the training rows a likelihood no held-out row
// earns. Two defences: the floor under the scales rises to the data's resolution, and a fit
// whose component sits on a repeated value says so.
#include "mdn/mixture.hpp"

#include <string>
#include <vector>

namespace tapegrad::mdn {

// The resolution of each column of data [N, C]: the smallest gap between two of its distinct
// values (0 for a column with fewer than two). Continuous data give a gap far below their spread;
// data rounded to a step give that step.
std::vector<double> column_resolution(const Tensor& data);

// The floor under the scales of standardised targets: each column's resolution over its standard
// deviation, divided by sqrt(12) (the standard deviation of the rounding error, uniform over one
// step), the smallest over the columns, and never below `floor`.
double resolution_floor(const std::vector<double>& resolution, const std::vector<double>& stddev,
                        double floor);

// One sentence per component that has collapsed onto a repeated value: of the rows of y [N, D]
// (data units, as `mixture` of those rows) that the component explains best (responsibility
// above 1/2) with its scale within 10% of `scale_floor` (data units, one per column) in every
// column, at least kCollapseRows and more than half share one value.
inline constexpr std::int64_t kCollapseRows = 5;
std::vector<std::string> collapse_warnings(const Mixture& mixture, const Tensor& y,
                                           const std::vector<double>& scale_floor,
                                           std::int64_t components_per_network,
                                           const std::vector<std::string>& y_names,
                                           const std::string& source);

} // namespace tapegrad::mdn
