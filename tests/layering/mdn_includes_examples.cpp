// Must not compile: the library knows nothing of the command line (tests/layering/CMakeLists.txt).
#include "common/args.hpp"
#include "mdn/mdn.hpp"
