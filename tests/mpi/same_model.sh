#!/bin/sh
# `mdn fit` under mpirun -np 2 and -np 3 writes the model file of one process, byte for byte; and
# a fit checkpointed under 2 processes part of the way resumes under 1 and under 3 to the model
# of the uninterrupted run.
#
#   same_model.sh MDN WORKDIR MPIRUN [MPIRUN FLAGS...]
set -u
mdn=$1 dir=$2
shift 2
here=$(dirname "$0")
rm -rf "$dir" && mkdir -p "$dir" || exit 1
"$here/bishop_data.sh" 1200 >"$dir/data.csv" || exit 1
fail() {
  echo "FAIL: $1"
  exit 1
}

# Batches of 600 rows: three shards of 200; the epoch's last batch is one shard. Noise
# regularisation on (its draws must be those of one process), two networks: on 2 processes they
# are dealt out, one each (mdn/fit.cpp, deal_out_networks); on 3, each shares its batches 1:1:1.
flags="--data $dir/data.csv --y t --quiet --batch 600 --hidden 16,16 --components 3 --ensemble 2"
"$mdn" fit $flags --steps 40 --out "$dir/one.tgm" --log "$dir/one.jsonl" || fail "one process"
"$@" -np 2 "$mdn" fit $flags --steps 40 --out "$dir/two.tgm" --log "$dir/two.jsonl" || fail "-np 2"
"$@" -np 3 "$mdn" fit $flags --steps 40 --out "$dir/three.tgm" || fail "-np 3"
cmp "$dir/one.tgm" "$dir/two.tgm" || fail "2 processes wrote another model than one process"
cmp "$dir/one.tgm" "$dir/three.tgm" || fail "3 processes wrote another model than one process"
grep -q '"processes": 2}' "$dir/two.jsonl" || fail "the log of 2 processes does not say so"
[ "$(wc -l <"$dir/one.jsonl")" -eq "$(wc -l <"$dir/two.jsonl")" ] ||
  fail "process 0 alone should write the log"

# 10 epochs, a checkpoint every 7: the file left is of epoch 7 (both networks' states; with
# periodic checkpoints the networks share their batches among the processes).
epochs="$flags --epochs 10 --patience 0"
"$mdn" fit $epochs --out "$dir/whole.tgm" || fail "the uninterrupted run"
"$@" -np 2 "$mdn" fit $epochs --checkpoint-every 7 --out "$dir/part.tgm" || fail "-np 2 part"
"$mdn" fit --resume "$dir/part.tgm.ckpt" --data "$dir/data.csv" --quiet --out "$dir/resumed1.tgm" ||
  fail "resuming under one process"
"$@" -np 3 "$mdn" fit --resume "$dir/part.tgm.ckpt" --data "$dir/data.csv" --quiet \
  --out "$dir/resumed3.tgm" || fail "resuming under 3 processes"
cmp "$dir/whole.tgm" "$dir/resumed1.tgm" || fail "resumed under 1: another model"
cmp "$dir/whole.tgm" "$dir/resumed3.tgm" || fail "resumed under 3: another model"
echo "PASS"
