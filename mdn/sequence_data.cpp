#include "mdn/sequence_data.hpp"

#include "autograd/ops.hpp"
#include "autograd/tape.hpp"

#include <algorithm>
#include <numeric>

namespace tapegrad::mdn {

namespace {

// Stacks sequences [T_i, width] (or [T_i] with width 0) into [N, T, width] (or [N, T]), zeros
// after each one's end.
Tensor pad(const std::vector<Tensor>& parts, std::int64_t time, std::int64_t width, DType dtype) {
  const auto n = static_cast<std::int64_t>(parts.size());
  const std::int64_t row = std::max<std::int64_t>(width, 1);
  std::vector<double> values(static_cast<std::size_t>(n * time * row), 0.0);
  for (std::int64_t i = 0; i < n; ++i) {
    const std::vector<double> v = parts[static_cast<std::size_t>(i)].to_vector<double>();
    std::copy(v.begin(), v.end(), values.begin() + i * time * row);
  }
  return from_vector(values, width > 0 ? Shape{n, time, width} : Shape{n, time}, dtype);
}

} // namespace

std::int64_t SequenceData::steps() const {
  return std::accumulate(lengths.begin(), lengths.end(), std::int64_t{0});
}

SequenceData SequenceData::select(const std::vector<std::int64_t>& indices) const {
  NoGradGuard no_grad;
  SequenceData out;
  std::int64_t longest = 0;
  for (std::int64_t i : indices) {
    if (i < 0 || i >= size())
      fail("SequenceData::select: sequence {} is out of range (there are {})", i, size());
    out.lengths.push_back(lengths[static_cast<std::size_t>(i)]);
    longest = std::max(longest, out.lengths.back());
  }
  const Tensor index = from_vector(indices, {static_cast<std::int64_t>(indices.size())});
  const auto take = [&](const Tensor& t) {
    return t.defined() ? t.index_select(0, index).slice(1, 0, std::max<std::int64_t>(longest, 1))
                       : Tensor();
  };
  out.x = take(x);
  out.y = take(y);
  out.eos = take(eos);
  out.mask = take(mask);
  return out;
}

SequenceData SequenceData::steps_between(std::int64_t start, std::int64_t end) const {
  if (start < 0 || end <= start || start >= time())
    fail("SequenceData::steps_between: steps [{}, {}) are not within the {} steps", start, end,
         time());
  NoGradGuard no_grad;
  SequenceData out;
  const auto part = [&](const Tensor& t) {
    return t.defined() ? t.slice(1, start, end) : Tensor();
  };
  out.x = part(x);
  out.y = part(y);
  out.eos = part(eos);
  out.mask = part(mask);
  for (std::int64_t n : lengths)
    out.lengths.push_back(std::clamp<std::int64_t>(n - start, 0, out.x.size(1)));
  return out;
}

SequenceData pad_sequences(const std::vector<Tensor>& x, const std::vector<Tensor>& y,
                           const std::vector<Tensor>& eos) {
  if (x.empty() || x.size() != y.size() || (!eos.empty() && eos.size() != x.size()))
    fail("pad_sequences: expected as many inputs as targets (and end-of-stroke bits, when given), "
         "at least one, got {}, {} and {}",
         x.size(), y.size(), eos.size());
  const std::int64_t in = x.front().dim() == 2 ? x.front().size(1) : 0;
  const std::int64_t d = y.front().dim() == 2 ? y.front().size(1) : 0;
  const DType dtype = y.front().dtype();
  SequenceData data;
  std::int64_t longest = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const std::int64_t n = x[i].dim() == 2 ? x[i].size(0) : 0;
    if (n < 1 || !(x[i].shape() == Shape{n, in}) || !(y[i].shape() == Shape{n, d}) || in < 1 ||
        d < 1)
      fail("pad_sequences: sequence {} has inputs {} and targets {}, expected [T >= 1, {}] and "
           "[T, {}] like the first",
           i, x[i].shape(), y[i].shape(), in, d);
    if (!eos.empty() && !(eos[i].shape() == Shape{n}))
      fail("pad_sequences: sequence {} has end-of-stroke bits of shape {}, expected [{}]", i,
           eos[i].shape(), n);
    if (!is_floating(dtype) || x[i].dtype() != dtype || y[i].dtype() != dtype ||
        (!eos.empty() && eos[i].dtype() != dtype))
      fail("pad_sequences: sequence {} is not all {} like the first", i, dtype);
    data.lengths.push_back(n);
    longest = std::max(longest, n);
  }
  data.x = pad(x, longest, in, dtype);
  data.y = pad(y, longest, d, dtype);
  if (!eos.empty())
    data.eos = pad(eos, longest, 0, dtype);
  std::vector<Tensor> ones_each;
  for (std::int64_t n : data.lengths)
    ones_each.push_back(ones({n}, dtype));
  data.mask = pad(ones_each, longest, 0, dtype);
  return data;
}

SequenceData autoregressive_sequences(const std::vector<Tensor>& y,
                                      const std::vector<Tensor>& eos) {
  if (!eos.empty() && eos.size() != y.size())
    fail("autoregressive_sequences: {} sequences of targets but {} of end-of-stroke bits", y.size(),
         eos.size());
  std::vector<Tensor> x;
  for (std::size_t i = 0; i < y.size(); ++i) {
    if (y[i].dim() != 2 || y[i].size(0) < 1)
      fail("autoregressive_sequences: sequence {} has shape {}, expected [T >= 1, D]", i,
           y[i].shape());
    NoGradGuard no_grad;
    const std::int64_t n = y[i].size(0);
    Tensor step = eos.empty() ? y[i] : cat({y[i], eos[i].reshape({-1, 1})}, 1);
    // x_t = step_{t-1}: a zero row, then every step but the last.
    const Tensor start = zeros({1, step.size(1)}, step.dtype());
    x.push_back(n == 1 ? start : cat({start, step.slice(0, 0, n - 1)}, 0));
  }
  return pad_sequences(x, y, eos);
}

} // namespace tapegrad::mdn
