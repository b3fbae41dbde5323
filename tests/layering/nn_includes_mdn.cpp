// Must not compile: nn knows nothing of mixtures (tests/layering/CMakeLists.txt).
#include "mdn/mixture.hpp"
#include "nn/module.hpp"
