#include "mdn/noise_model.hpp"

#include "autograd/error.hpp"

namespace tapegrad::mdn {

std::string_view noise_model_name(NoiseModel noise) {
  switch (noise) {
  case NoiseModel::Full:
    return "full";
  case NoiseModel::Diagonal:
    return "diagonal";
  case NoiseModel::Isotropic:
    return "isotropic";
  case NoiseModel::Fixed:
    return "fixed";
  }
  return "unknown";
}

NoiseModel parse_noise_model(std::string_view name) {
  for (NoiseModel noise :
       {NoiseModel::Full, NoiseModel::Diagonal, NoiseModel::Isotropic, NoiseModel::Fixed})
    if (name == noise_model_name(noise))
      return noise;
  fail("unknown noise model '{}' (expected full, diagonal, isotropic or fixed)", name);
}

} // namespace tapegrad::mdn
