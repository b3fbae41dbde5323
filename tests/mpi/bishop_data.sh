#!/bin/sh
# Bishop's inverse problem as a CSV of $1 rows (x,t), from a fixed linear congruential generator:
# the same file on every machine, without the mdn command.
awk -v rows="$1" 'BEGIN {
  state = 12345
  print "x,t"
  for (i = 0; i < rows; ++i) {
    state = (state * 1103515245 + 12345) % 2147483648; t = state / 2147483648
    state = (state * 1103515245 + 12345) % 2147483648; u = state / 2147483648
    printf "%.7f,%.7f\n", t + 0.3 * sin(6.283185307179586 * t) + 0.2 * u - 0.1, t
  }
}'
