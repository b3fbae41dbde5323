# Strict warnings for our own targets only: third-party headers come in as system includes and
# are not affected.
function(tapegrad_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Werror)
  # `#pragma omp simd` asks for vectorisation; clang reports a loop it could not vectorise as a
  # warning (-Wpass-failed), which happens under the sanitizers' instrumentation (the fuzz build).
  # A missed optimisation in an instrumented build is not a defect.
  if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    target_compile_options(${target} PRIVATE -Wno-pass-failed)
  endif()
endfunction()
