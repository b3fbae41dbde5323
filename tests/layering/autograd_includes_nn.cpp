// Must not compile: the engine knows nothing of layers (tests/layering/CMakeLists.txt).
#include "autograd/tensor.hpp"
#include "nn/module.hpp"
