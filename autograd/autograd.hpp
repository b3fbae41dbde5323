#pragma once
// Everything the engine offers: #include <autograd/autograd.hpp>.
#include "autograd/error.hpp"
#include "autograd/generator.hpp"
#include "autograd/gradcheck.hpp"
#include "autograd/graph.hpp"
#include "autograd/ops.hpp"
#include "autograd/tape.hpp"
#include "autograd/tensor.hpp"
