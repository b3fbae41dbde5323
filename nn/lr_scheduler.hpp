#pragma once
// Learning-rate schedules, as torch.optim.lr_scheduler. Each is a formula of the epoch count
// (steps of the schedule, which may be epochs or optimiser steps, as you call step()) times the
// learning rate the optimiser had when the schedule was built:
//
//   StepLR             base * gamma^floor(epoch / step_size)
//   ExponentialLR      base * gamma^epoch
//   CosineAnnealingLR  eta_min + (base - eta_min) (1 + cos(pi epoch / t_max)) / 2, then eta_min
//   LinearWarmupLR     base * (start_factor + (1 - start_factor) epoch / warmup_steps), then base
//
// Building one sets the optimiser's rate for epoch 0; step() moves to the next epoch. Because the
// rate is a closed formula, the state is just the epoch and the base rate: saved and restored,
// a schedule resumes exactly.
#include "nn/optim.hpp"

namespace tapegrad::nn {

class LRScheduler : public Stateful {
public:
  explicit LRScheduler(Optimizer& optimizer, std::string name);

  void step(); // epoch += 1, then sets the optimiser's learning rate
  std::int64_t epoch() const { return epoch_; }
  double base_lr() const { return base_lr_; }
  virtual double lr_at(std::int64_t epoch) const = 0;

  StateDict state_dict() const override; // "epoch", "base_lr"
  void load_state_dict(const StateDict& state, std::string_view source = "state") override;

protected:
  void apply(); // derived constructors call it once their parameters are set

private:
  Optimizer& optimizer_;
  std::string name_;
  double base_lr_;
  std::int64_t epoch_ = 0;
};

class StepLR : public LRScheduler {
public:
  StepLR(Optimizer& optimizer, std::int64_t step_size, double gamma = 0.1);
  double lr_at(std::int64_t epoch) const override;

private:
  std::int64_t step_size_;
  double gamma_;
};

class ExponentialLR : public LRScheduler {
public:
  ExponentialLR(Optimizer& optimizer, double gamma);
  double lr_at(std::int64_t epoch) const override;

private:
  double gamma_;
};

class CosineAnnealingLR : public LRScheduler {
public:
  CosineAnnealingLR(Optimizer& optimizer, std::int64_t t_max, double eta_min = 0.0);
  double lr_at(std::int64_t epoch) const override;

private:
  std::int64_t t_max_;
  double eta_min_;
};

class LinearWarmupLR : public LRScheduler {
public:
  LinearWarmupLR(Optimizer& optimizer, std::int64_t warmup_steps, double start_factor = 0.0);
  double lr_at(std::int64_t epoch) const override;

private:
  std::int64_t warmup_steps_;
  double start_factor_;
};

} // namespace tapegrad::nn
