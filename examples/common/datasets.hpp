#pragma once
// The seeds' data sets, each drawn from a seeded Generator: the same seed gives the same points.
#include <autograd/generator.hpp>
#include <autograd/tensor.hpp>

namespace tapegrad::examples {

struct Dataset {
  Tensor x, y; // [n, in], [n, out], float32
};

// Bishop (1994): t ~ U(0, 1), x = t + 0.3 sin(2 pi t) + U(-0.1, 0.1). Returned as the inverse
// problem (x -> t): x is the input, y = t. Draws exactly as tests/mdn/bishop_test.cpp does.
Dataset bishop_inverse(std::int64_t n, std::uint64_t seed);

// The tutorial's forward problem: x ~ U(-15, 15), y = 0.5 x + 8 sin(0.3 x) + N(0, 1).
Dataset noisy_sine(std::int64_t n, std::uint64_t seed);

// The tutorial's hyperbolic spiral: theta evenly over [0, 5 pi], r = theta,
// x = r cos(theta) + U(-1, 1), y = r sin(theta).
Dataset spiral(std::int64_t n, std::uint64_t seed);

// Bishop's two-link robot arm: link lengths 0.8 and 0.2, joint angles theta1 ~ U(0.3, 1.2),
// theta2 ~ U(pi/2, 3 pi/2). x is the end-effector position (x1, x2), y the angles (theta1,
// theta2): most positions are reached by two arms, elbow up and elbow down.
Dataset robot_arm(std::int64_t n, std::uint64_t seed);
// The end-effector position of angles [n, 2]: [n, 2].
Tensor arm_forward(const Tensor& angles);

} // namespace tapegrad::examples
