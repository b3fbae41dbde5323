#pragma once
// Independent random streams from one seed. Dropout and the data loader draw call number k (or
// epoch k) from Generator(derive_seed(seed, k)): the stream then depends only on the seed and a
// counter that is saved with the model, so training resumed from a checkpoint draws exactly the
// numbers it would have drawn had it not stopped.
#include <cstdint>

namespace tapegrad::nn {

// Two rounds of the splitmix64 finaliser: nearby (seed, counter) pairs give unrelated seeds,
// where seed + counter would give overlapping xoshiro streams.
constexpr std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t counter) {
  auto mix = [](std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  return mix(seed ^ mix(counter + 0x9e3779b97f4a7c15ULL));
}

} // namespace tapegrad::nn
