#pragma once
// The two switches that change what every op does, both scoped by a guard:
//   grad mode     whether ops record onto the tape (per thread; NoGradGuard turns it off for
//                 inference and optimiser updates);
//   anomaly mode  whether every op's output and every gradient is checked for NaN and Inf, the
//                 first one found throwing an Error that names the op (for debugging; slow).

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
// Throws, naming `op`, if a floating tensor holds a NaN or an Inf; `what` is "output" or
// "gradient".
void check_finite(const Tensor& tensor, const char* op, const char* what);
} // namespace detail

} // namespace tapegrad
