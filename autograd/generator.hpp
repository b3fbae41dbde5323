#pragma once
// The only source of randomness: an explicitly seeded generator (xoshiro256++ seeded through
// splitmix64). Its own uniform and normal transforms, rather than <random>'s distributions, make
// the same seed give the same bits with every compiler and standard library.
#include <cstdint>

namespace tapegrad {

class Generator {
public:
  explicit Generator(std::uint64_t seed = 0) { manual_seed(seed); }

  void manual_seed(std::uint64_t seed);
  std::uint64_t next_u64();
  double uniform();                     // in [0, 1), 53 random bits
  double normal();                      // standard normal, Box-Muller
  std::uint64_t below(std::uint64_t n); // uniform integer in [0, n), without modulo bias

private:
  std::uint64_t state_[4]{};
  double spare_normal_ = 0.0;
  bool has_spare_ = false;
};

} // namespace tapegrad
