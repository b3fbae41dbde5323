# The library's layers, each its own static library that links only the layers below it:
#
#   tapegrad::autograd  <-  tapegrad::nn  <-  tapegrad::mdn  <-  tapegrad::tapegrad (the umbrella)
#
# Sources write `#include "autograd/tensor.hpp"`, `<nn/module.hpp>`, `<mdn/mdn.hpp>`. So that an
# include that runs back up (an autograd source including an nn header) fails to compile rather
# than only to link, a layer does not see the source root: it sees a folder of its own in the build
# tree holding one link, <build>/layers/<layer>/<layer> -> the layer's source folder, and the
# folders of the layers it links. Installed, every layer's headers sit under include/tapegrad/.

# tapegrad_add_layer(<layer> [LINKS <lower layers...>] SOURCES <files...>)
function(tapegrad_add_layer layer)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "LINKS;SOURCES")
  set(target tapegrad_${layer})
  add_library(${target} STATIC ${arg_SOURCES})
  add_library(tapegrad::${layer} ALIAS ${target})
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${layer})

  set(root ${PROJECT_BINARY_DIR}/layers/${layer})
  file(MAKE_DIRECTORY ${root})
  file(CREATE_LINK ${CMAKE_CURRENT_SOURCE_DIR} ${root}/${layer} SYMBOLIC)
  target_include_directories(${target} PUBLIC
    $<BUILD_INTERFACE:${root}>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}/tapegrad>)
  target_compile_features(${target} PUBLIC cxx_std_20)
  # fmt appears in public headers; xsimd only in kernels, so an installed tapegrad does not need
  # it. OpenMP is public because a static library leaves libgomp to the final link.
  target_link_libraries(${target}
    PUBLIC ${arg_LINKS} fmt::fmt OpenMP::OpenMP_CXX
    PRIVATE $<BUILD_INTERFACE:xsimd>)
  tapegrad_set_warnings(${target})

  file(GLOB_RECURSE headers RELATIVE ${PROJECT_SOURCE_DIR} CONFIGURE_DEPENDS
    ${CMAKE_CURRENT_SOURCE_DIR}/*.hpp)
  foreach(header IN LISTS headers)
    cmake_path(GET header PARENT_PATH header_dir)
    install(FILES ${PROJECT_SOURCE_DIR}/${header}
      DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/tapegrad/${header_dir})
  endforeach()
  install(TARGETS ${target} EXPORT tapegradTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
endfunction()
