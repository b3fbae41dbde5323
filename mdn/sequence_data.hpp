#pragma once
// A set of sequences of different lengths, padded to the longest so that a batch is one tensor:
// what a recurrent MDN trains and is evaluated on. Padded steps hold zeros and mask 0.
//
//   // p(y_t | y_<t): each input is the previous step's target, zero at the start
//   mdn::SequenceData data = mdn::autoregressive_sequences(series);      // series[i] [T_i, D]
//   mdn::SequenceData strokes = mdn::autoregressive_sequences(offsets, pen_up); // + e_t [T_i]
#include "autograd/tensor.hpp"

#include <vector>

namespace tapegrad::mdn {

struct SequenceData {
  Tensor x;    // [N, T, in]
  Tensor y;    // [N, T, D]
  Tensor eos;  // [N, T] of 0 and 1 (end of stroke), or undefined
  Tensor mask; // [N, T]: 1 at the first lengths[i] steps of sequence i, 0 after
  std::vector<std::int64_t> lengths;

  std::int64_t size() const { return static_cast<std::int64_t>(lengths.size()); }
  std::int64_t time() const { return x.size(1); }
  std::int64_t steps() const; // the number of real steps, summed over the sequences
  // The sequences at these positions, padded to the longest of them.
  SequenceData select(const std::vector<std::int64_t>& indices) const;
  // Steps [start, end) of every sequence (lengths cut to match; a sequence may become empty).
  SequenceData steps_between(std::int64_t start, std::int64_t end) const;
};

// x[i] [T_i, in], y[i] [T_i, D] and, when given, eos[i] [T_i], every T_i >= 1, one floating dtype.
SequenceData pad_sequences(const std::vector<Tensor>& x, const std::vector<Tensor>& y,
                           const std::vector<Tensor>& eos = {});

// Inputs for p(y_t, e_t | y_<t, e_<t): x_t = (y_{t-1}, e_{t-1}) and x_1 = 0, so in = D (+ 1 with
// end-of-stroke bits).
SequenceData autoregressive_sequences(const std::vector<Tensor>& y,
                                      const std::vector<Tensor>& eos = {});

} // namespace tapegrad::mdn
