#pragma once
// The two switches that change what every op does, both scoped by a guard:
//   grad mode     whether ops record onto the tape (per thread; NoGradGuard turns it off for
//                 inference and optimiser updates);
//   anomaly mode  whether every op's output is checked for NaN and every gradient for NaN and
//                 Inf, the first one found throwing an Error that names the op, as PyTorch's
//                 (for debugging; slow). An infinite output is legitimate (a masked logit of
//                 -inf), an infinite gradient is not.

namespace tapegrad {

class Tensor;

// Recording is on by default; NoGradGuard turns it off in its scope.
class GradMode {
public:
  static bool is_enabled();
  static void set_enabled(bool enabled);
};

class NoGradGuard {
public:
  NoGradGuard() : previous_(GradMode::is_enabled()) { GradMode::set_enabled(false); }
  ~NoGradGuard() { GradMode::set_enabled(previous_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

private:
  bool previous_;
};

void set_detect_anomaly(bool enabled);
bool is_anomaly_enabled();

class DetectAnomalyGuard {
public:
  DetectAnomalyGuard() : previous_(is_anomaly_enabled()) { set_detect_anomaly(true); }
  ~DetectAnomalyGuard() { set_detect_anomaly(previous_); }
  DetectAnomalyGuard(const DetectAnomalyGuard&) = delete;
  DetectAnomalyGuard& operator=(const DetectAnomalyGuard&) = delete;

private:
  bool previous_;
};

namespace detail {
// Throw, naming `op`, if an op's output holds a NaN, or a gradient a NaN or an Inf.
void check_output(const Tensor& output, const char* op);
void check_gradient(const Tensor& gradient, const char* op);
} // namespace detail

} // namespace tapegrad
