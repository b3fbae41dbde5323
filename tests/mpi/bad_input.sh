#!/bin/sh
# Bad input met by every process of `mpirun -np 3 mdn fit`: one `error:` line (process 0's), exit
# status 2, and no model.
#
#   bad_input.sh MDN WORKDIR MPIRUN [MPIRUN FLAGS...]
set -u
mdn=$1 dir=$2
shift 2
rm -rf "$dir" && mkdir -p "$dir" || exit 1
printf 'x,t\n1,2\n1,3\n1,4\n' >"$dir/constant.csv"
for data in "$dir/missing.csv" "$dir/constant.csv"; do
  "$@" -np 3 "$mdn" fit --data "$data" --y t --quiet --val 0 --batch 2 --out "$dir/m.tgm" \
    2>"$dir/stderr" >/dev/null
  status=$?
  cat "$dir/stderr"
  [ "$status" -eq 2 ] || { echo "FAIL: status $status for $data; expected 2"; exit 1; }
  errors=$(grep -c '^error:' "$dir/stderr")
  [ "$errors" -eq 1 ] || { echo "FAIL: $errors error lines for $data; expected one"; exit 1; }
  [ ! -f "$dir/m.tgm" ] || { echo "FAIL: a model was written"; exit 1; }
done
echo "PASS"
