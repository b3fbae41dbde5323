#include "nn/lr_scheduler.hpp"

#include <cmath>
#include <numbers>

namespace tapegrad::nn {

LRScheduler::LRScheduler(Optimizer& optimizer, std::string name)
    : optimizer_(optimizer), name_(std::move(name)), base_lr_(optimizer.lr()) {}

void LRScheduler::apply() {
  optimizer_.set_lr(lr_at(epoch_));
}

void LRScheduler::step() {
  ++epoch_;
  apply();
}

StateDict LRScheduler::state_dict() const {
  StateDict state;
  state.insert("epoch", scalar_tensor(static_cast<double>(epoch_), kInt64));
  state.insert("base_lr", scalar_tensor(base_lr_, kFloat64));
  return state;
}

void LRScheduler::load_state_dict(const StateDict& state, std::string_view source) {
  check_state(state_dict(), state, source, fmt::format("the {} schedule", name_));
  const auto epoch = state.find("epoch").item<std::int64_t>();
  const auto base_lr = state.find("base_lr").item<double>();
  if (epoch < 0 || !(base_lr >= 0.0))
    fail("{}: {} state has epoch {} and base_lr {}, expected both non-negative", source, name_,
         epoch, base_lr);
  epoch_ = epoch;
  base_lr_ = base_lr;
  apply();
}

StepLR::StepLR(Optimizer& optimizer, std::int64_t step_size, double gamma)
    : LRScheduler(optimizer, "StepLR"), step_size_(step_size), gamma_(gamma) {
  if (step_size <= 0)
    fail("StepLR: expected a positive step_size, got {}", step_size);
  apply();
}

double StepLR::lr_at(std::int64_t epoch) const {
  return base_lr() * std::pow(gamma_, static_cast<double>(epoch / step_size_));
}

ExponentialLR::ExponentialLR(Optimizer& optimizer, double gamma)
    : LRScheduler(optimizer, "ExponentialLR"), gamma_(gamma) {
  if (!(gamma > 0.0))
    fail("ExponentialLR: expected a positive gamma, got {}", gamma);
  apply();
}

double ExponentialLR::lr_at(std::int64_t epoch) const {
  return base_lr() * std::pow(gamma_, static_cast<double>(epoch));
}

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, std::int64_t t_max, double eta_min)
    : LRScheduler(optimizer, "CosineAnnealingLR"), t_max_(t_max), eta_min_(eta_min) {
  if (t_max <= 0)
    fail("CosineAnnealingLR: expected a positive t_max, got {}", t_max);
  if (!(eta_min >= 0.0))
    fail("CosineAnnealingLR: expected eta_min >= 0, got {}", eta_min);
  apply();
}

double CosineAnnealingLR::lr_at(std::int64_t epoch) const {
  if (epoch >= t_max_)
    return eta_min_;
  const double progress = static_cast<double>(epoch) / static_cast<double>(t_max_);
  return eta_min_ + (base_lr() - eta_min_) * (1.0 + std::cos(std::numbers::pi * progress)) / 2.0;
}

LinearWarmupLR::LinearWarmupLR(Optimizer& optimizer, std::int64_t warmup_steps, double start_factor)
    : LRScheduler(optimizer, "LinearWarmupLR"), warmup_steps_(warmup_steps),
      start_factor_(start_factor) {
  if (warmup_steps <= 0)
    fail("LinearWarmupLR: expected a positive warmup_steps, got {}", warmup_steps);
  if (!(start_factor >= 0.0 && start_factor <= 1.0))
    fail("LinearWarmupLR: expected start_factor in [0, 1], got {}", start_factor);
  apply();
}

double LinearWarmupLR::lr_at(std::int64_t epoch) const {
  if (epoch >= warmup_steps_)
    return base_lr();
  const double progress = static_cast<double>(epoch) / static_cast<double>(warmup_steps_);
  return base_lr() * (start_factor_ + (1.0 - start_factor_) * progress);
}

} // namespace tapegrad::nn
