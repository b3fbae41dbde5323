// Must compile: mdn builds on nn and the engine (tests/layering/CMakeLists.txt).
#include "autograd/tensor.hpp"
#include "mdn/mdn.hpp"
#include "nn/module.hpp"
