#!/bin/sh
# A process of `mpirun -np 2 mdn fit` killed (SIGKILL) after the first checkpoint: the run must end
# with exactly one `error:` line and a non-zero status, and the checkpoint it leaves must resume
# (under one process) to the model of an uninterrupted run, byte for byte.
#
#   killed_process.sh MDN WORKDIR MPIRUN [MPIRUN FLAGS...]
set -u
mdn=$1 dir=$2
shift 2
rm -rf "$dir" && mkdir -p "$dir" || exit 1
data=$dir/data.csv
"$(dirname "$0")/bishop_data.sh" 1000 >"$data" || exit 1
flags="--data $data --y t --quiet --steps 6000 --batch 512 --hidden 32,32 --components 3 \
--ensemble 1 --patience 0 --seed 5"

"$@" -np 2 "$mdn" fit $flags --checkpoint-every 1 --out "$dir/killed.tgm" 2>"$dir/stderr" &
run=$!
waited=0
while [ ! -f "$dir/killed.tgm.ckpt" ]; do
  sleep 0.05
  waited=$((waited + 1))
  if [ $waited -gt 1200 ]; then
    echo "FAIL: no checkpoint after 60 s"
    kill $run
    exit 1
  fi
done
# Process 1 of this run: its command line names this run's files, its environment its rank.
victim=
for p in /proc/[0-9]*; do
  if tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -q -- "--out $dir/killed.tgm" &&
    tr '\0' '\n' <"$p/environ" 2>/dev/null | grep -qx 'OMPI_COMM_WORLD_RANK=1'; then
    victim=${p#/proc/}
  fi
done
if [ -z "$victim" ]; then
  echo "FAIL: process 1 of the run not found (did the run end before the kill?)"
  wait $run
  exit 1
fi
kill -KILL "$victim"
wait $run
status=$?
echo "--- stderr of the killed run (status $status):"
cat "$dir/stderr"
echo "---"
errors=$(grep -c '^error:' "$dir/stderr")
[ "$status" -ne 0 ] || { echo "FAIL: the killed run exited with status 0"; exit 1; }
[ "$errors" -eq 1 ] || { echo "FAIL: $errors error lines; expected exactly one"; exit 1; }
grep -q "killed.tgm.ckpt, is intact" "$dir/stderr" || { echo "FAIL: the error line does not name the checkpoint"; exit 1; }
[ ! -f "$dir/killed.tgm" ] || { echo "FAIL: the killed run wrote a model"; exit 1; }

"$mdn" fit --resume "$dir/killed.tgm.ckpt" --data "$data" --quiet --out "$dir/resumed.tgm" >/dev/null ||
  { echo "FAIL: resuming from the checkpoint failed"; exit 1; }
"$mdn" fit $flags --out "$dir/whole.tgm" >/dev/null || { echo "FAIL: the uninterrupted run failed"; exit 1; }
cmp "$dir/resumed.tgm" "$dir/whole.tgm" || { echo "FAIL: the resumed model differs from the uninterrupted run's"; exit 1; }
echo "PASS"
