#pragma once
// Mixture Density Networks: #include <mdn/mdn.hpp>.
#include "mdn/dense_mixture.hpp"
#include "mdn/head.hpp"
#include "mdn/metrics.hpp"
#include "mdn/mixture.hpp"
#include "mdn/model.hpp"
#include "mdn/noise_model.hpp"
#include "mdn/predictions.hpp"
#include "mdn/sampling.hpp"
#include "mdn/select.hpp"
#include "mdn/train.hpp"
#include "mdn/univariate.hpp"
