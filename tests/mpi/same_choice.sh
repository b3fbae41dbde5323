#!/bin/sh
# Cross-validation dealt out to processes: `mdn fit --components 1,2` and `mdn tune --trials 2`
# under mpirun -np 2 and -np 3 write the model files of one process, byte for byte.
#
#   same_choice.sh MDN WORKDIR MPIRUN [MPIRUN FLAGS...]
set -u
mdn=$1 dir=$2
shift 2
rm -rf "$dir" && mkdir -p "$dir" || exit 1
"$(dirname "$0")/bishop_data.sh" 300 >"$dir/data.csv" || exit 1
fail() {
  echo "FAIL: $1"
  exit 1
}
fit="fit --data $dir/data.csv --y t --quiet --steps 20 --hidden 8 --components 1,2 --folds 3 \
--ensemble 2"
tune="tune --data $dir/data.csv --y t --quiet --steps 20 --trials 2 --folds 3 --ensemble 1"
for command in fit tune; do
  eval "flags=\$$command"
  "$mdn" $flags --out "$dir/$command.1.tgm" >/dev/null || fail "$command on one process"
  for n in 2 3; do
    "$@" -np $n "$mdn" $flags --out "$dir/$command.$n.tgm" >/dev/null || fail "$command -np $n"
    cmp "$dir/$command.1.tgm" "$dir/$command.$n.tgm" ||
      fail "$command on $n processes wrote another model than on one"
  done
done
echo "PASS"
