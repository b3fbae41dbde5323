# Strict warnings for our own targets only: third-party headers come in as system includes and
# are not affected.
function(tapegrad_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Werror)
endfunction()
