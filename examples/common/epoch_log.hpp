#pragma once
// `mdn fit --log FILE.jsonl`: one JSON object per line and per epoch, for whoever tracks
// experiments (jq, pandas.read_json(lines=True)):
//
//   {"components": 3, "network": 0, "epoch": 12, "step": 48, "train_nll": -0.8123,
//    "val_nll": -0.9012, "best": true, "lr": 0.01, "seconds": 0.0031, "processes": 1}
//
// `network` is which network of an ensemble (--ensemble) trained the epoch, from 0; NLLs in nats
// per point of y in y's units (null without validation data), `step` the optimiser steps so far,
// `seconds` the epoch's wall time, `processes` how many processes shared the training (mpirun -np
// N). The file is created at the first epoch (bad input leaves none behind) and each line is
// written whole and flushed, so that `tail -f` follows training; a resumed run's log starts at the
// epoch after its checkpoint.
#include <mdn/train.hpp>

#include <cstdio>
#include <string>

namespace tapegrad::examples {

class EpochLog {
public:
  EpochLog(std::string path, int processes); // empty path: log nothing
  ~EpochLog();
  EpochLog(const EpochLog&) = delete;
  EpochLog& operator=(const EpochLog&) = delete;

  void write(std::int64_t components, const mdn::EpochReport& report);

private:
  std::string path_;
  int processes_ = 1;
  std::FILE* file_ = nullptr;
};

} // namespace tapegrad::examples
