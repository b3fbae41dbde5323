#pragma once
// The pictures every example and the `mdn` command draw for a model with 1-D input and output:
// the learned density p(y | x) as a heat map with the component means sized by their weight, and
// the loss curves of training and validation.
#include "common/svg.hpp"

#include <mdn/mdn.hpp>

#include <functional>

namespace tapegrad::examples {

// Raw x [B, 1] -> p(y | x) in the units of y.
using MixtureOf = std::function<mdn::Mixture(const Tensor&)>;

// A plot whose background is p(y | x) on an nx x ny grid over the ranges.
Plot density_plot(const std::string& title, const MixtureOf& mixture_of, Range x, Range y,
                  const std::string& x_label = "x", const std::string& y_label = "y",
                  std::int64_t nx = 160, std::int64_t ny = 120);

// Every component's mean at `count` values of x, drawn as circles whose size shows its weight.
void add_component_means(Plot& plot, const MixtureOf& mixture_of, Range x, std::int64_t count = 60);

// x [n, 1] and y [n, 1] tensors as plain vectors.
std::vector<double> column(const Tensor& t, std::int64_t c = 0);

// Training and validation NLL per epoch (validation only where it was measured), in nats per
// point in the units of `y_name` (as mdn::fit reports them), with the best epoch (the model
// kept) marked; the axes hold every epoch's values.
Plot loss_plot(const std::string& title, const mdn::TrainResult& result,
               const std::string& y_name = "y");

} // namespace tapegrad::examples
