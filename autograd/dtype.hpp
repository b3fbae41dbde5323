#pragma once
// Element types. Floating tensors (float32 for speed, float64 for gradient checks) carry values;
// int64 tensors carry indices for index_select and gather.
#include "autograd/error.hpp"

#include <cstdint>
#include <string_view>

namespace tapegrad {

enum class DType : std::uint8_t { Float32, Float64, Int64 };

inline constexpr DType kFloat32 = DType::Float32;
inline constexpr DType kFloat64 = DType::Float64;
inline constexpr DType kInt64 = DType::Int64;

constexpr std::string_view dtype_name(DType dtype) {
  switch (dtype) {
  case DType::Float32:
    return "float32";
  case DType::Float64:
    return "float64";
  case DType::Int64:
    return "int64";
  }
  return "unknown";
}

constexpr std::size_t dtype_size(DType dtype) {
  return dtype == DType::Float32 ? 4 : 8;
}

constexpr bool is_floating(DType dtype) {
  return dtype != DType::Int64;
}

template <class T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() {
  return DType::Float32;
}
template <> constexpr DType dtype_of<double>() {
  return DType::Float64;
}
template <> constexpr DType dtype_of<std::int64_t>() {
  return DType::Int64;
}

// Thrown by Tensor::data_ptr<T>() when the tensor does not hold T: an op was given tensors of two
// dtypes. dispatch_floating, which knows the op's name, puts it in front of the message.
class DTypeMismatch : public Error {
public:
  using Error::Error;
};

// Calls f.template operator()<T>() with T the C++ type of a floating dtype, so that one generic
// lambda serves float32 and float64: dispatch_floating(x.dtype(), "exp", [&]<class T>() { ... }).
template <class F> decltype(auto) dispatch_floating(DType dtype, std::string_view op, F&& f) {
  try {
    switch (dtype) {
    case DType::Float32:
      return f.template operator()<float>();
    case DType::Float64:
      return f.template operator()<double>();
    case DType::Int64:
      break;
    }
  } catch (const DTypeMismatch& mismatch) {
    fail("{}: {}", op, mismatch.what());
  }
  fail("{}: expected a float32 or float64 tensor, got {}", op, dtype_name(dtype));
}

// As dispatch_floating, and int64 as well: for ops that only move elements (copies, printing).
template <class F> decltype(auto) dispatch_all(DType dtype, F&& f) {
  switch (dtype) {
  case DType::Float32:
    return f.template operator()<float>();
  case DType::Float64:
    return f.template operator()<double>();
  case DType::Int64:
    return f.template operator()<std::int64_t>();
  }
  fail("unknown dtype {}", static_cast<int>(dtype));
}

} // namespace tapegrad

template <> struct fmt::formatter<tapegrad::DType> : fmt::formatter<std::string_view> {
  auto format(tapegrad::DType dtype, format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(tapegrad::dtype_name(dtype), ctx);
  }
};
