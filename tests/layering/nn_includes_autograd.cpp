// Must compile: nn builds on the engine (tests/layering/CMakeLists.txt).
#include "autograd/tensor.hpp"
#include "nn/module.hpp"
