# Run with cmake -P from the find_package_consumer test (see tests/CMakeLists.txt):
#   1. install the already-built tapegrad into CONSUMER_PREFIX,
#   2. configure and build tests/consumer/ against it with find_package(tapegrad),
#   3. run the consumer binary and echo its output for the test's PASS_REGULAR_EXPRESSION.
# Everything is written under the build directory; any failing step fails the test.
cmake_minimum_required(VERSION 3.25)

foreach(var TAPEGRAD_BUILD_DIR CONSUMER_SOURCE_DIR CONSUMER_PREFIX CONSUMER_BUILD_DIR CXX_COMPILER)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "run_consumer_test: FAILED: ${var} is not set")
  endif()
endforeach()
if(NOT GENERATOR)
  set(GENERATOR "Unix Makefiles")
endif()
if(NOT CONFIG)
  set(CONFIG Release)
endif()

function(run_step name)
  execute_process(COMMAND ${ARGN}
    RESULT_VARIABLE result
    OUTPUT_VARIABLE output
    ERROR_VARIABLE output)
  if(NOT result EQUAL 0)
    message("${output}")
    message(FATAL_ERROR "run_consumer_test: FAILED at step '${name}' (exit status ${result})")
  endif()
  set(step_output "${output}" PARENT_SCOPE)
endfunction()

# Start from nothing so that a header or target removed from the library is noticed.
file(REMOVE_RECURSE "${CONSUMER_PREFIX}" "${CONSUMER_BUILD_DIR}")

run_step(install
  "${CMAKE_COMMAND}" --install "${TAPEGRAD_BUILD_DIR}" --prefix "${CONSUMER_PREFIX}" --config "${CONFIG}")

run_step(configure
  "${CMAKE_COMMAND}" -S "${CONSUMER_SOURCE_DIR}" -B "${CONSUMER_BUILD_DIR}" -G "${GENERATOR}"
  "-DCMAKE_PREFIX_PATH=${CONSUMER_PREFIX}"
  "-DCMAKE_BUILD_TYPE=${CONFIG}"
  "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}"
  "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}"
  "-DCMAKE_EXE_LINKER_FLAGS=${EXE_LINKER_FLAGS}")

run_step(build
  "${CMAKE_COMMAND}" --build "${CONSUMER_BUILD_DIR}" --config "${CONFIG}")

set(consumer_exe "${CONSUMER_BUILD_DIR}/tapegrad_consumer")
if(NOT EXISTS "${consumer_exe}")
  set(consumer_exe "${CONSUMER_BUILD_DIR}/${CONFIG}/tapegrad_consumer")
endif()
run_step(run "${consumer_exe}" "${CONSUMER_BUILD_DIR}/consumer_model.tgm")

message(STATUS "${step_output}")
if(NOT step_output MATCHES "consumer: dy/dx = 6\n" OR
   NOT step_output MATCHES "consumer: fitted, saved and loaded a model of 2 components\n")
  message(FATAL_ERROR "run_consumer_test: FAILED: unexpected consumer output")
endif()
