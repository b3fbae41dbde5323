#pragma once
// Optimisers, as torch::optim: SGD (momentum, Nesterov, weight decay), Adam and AdamW. Each step
// reads the gradients the last backward() left in the parameters and updates the parameters'
// buffers in place, with recording off: an update is not part of the model's computation.
//
//   nn::Adam adam(model.parameters(), {.lr = 1e-3});
//   for (...) { adam.zero_grad(); loss(...).backward(); adam.step(); clear_tape(); }
//
// The loops over the buffers live in sgd.cpp and adam.cpp, one formula per line.
//
// State: every buffer (momentum, first and second moments) is created, zero, at construction,
// and state_dict() holds them with the step count and the current learning rate, so a saved
// optimiser resumes exactly. One parameter group; parameters whose gradient is undefined (never
// reached by a backward pass) are skipped, as in PyTorch.
#include "nn/state.hpp"

#include <autograd/tensor.hpp>

#include <deque>
#include <vector>

namespace tapegrad::nn {

class Optimizer : public Stateful {
public:
  Optimizer(std::string name, std::vector<Tensor> parameters, double lr);

  virtual void step() = 0; // one update, then step_count() grows by one
  void zero_grad();        // fills every parameter's gradient with zeros

  double lr() const { return lr_; }
  void set_lr(double lr); // schedules call this
  std::int64_t step_count() const { return step_count_; }
  const std::vector<Tensor>& parameters() const { return parameters_; }
  const std::string& name() const { return name_; }

  // "lr", "step", and per parameter i its buffers as "<buffer>.<i>".
  StateDict state_dict() const override;
  void load_state_dict(const StateDict& state, std::string_view source = "state") override;

protected:
  // A zero buffer for each parameter, saved as "<buffer_name>.<i>".
  std::vector<Tensor>& add_buffers(std::string buffer_name);
  std::vector<Tensor> parameters_;
  std::int64_t step_count_ = 0;

private:
  std::string name_;
  double lr_;
  // A deque, so that the references add_buffers hands out stay valid as more are added.
  std::deque<std::pair<std::string, std::vector<Tensor>>> buffers_;
};

struct SGDOptions {
  double lr = 0.01;
  double momentum = 0.0;
  double weight_decay = 0.0; // L2: adds weight_decay * p to the gradient
  bool nesterov = false;     // needs momentum > 0
};

// g = grad + weight_decay p;  b = momentum b + g;  g = nesterov ? g + momentum b : b;  p -= lr g.
// (PyTorch's formula with dampening 0; its first step sets b = g, which the zero buffer matches.)
class SGD : public Optimizer {
public:
  SGD(std::vector<Tensor> parameters, SGDOptions options);
  void step() override;
  const SGDOptions& options() const { return options_; }

private:
  SGDOptions options_;
  std::vector<Tensor>* momentum_ = nullptr;
};

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0; // Adam: L2 added to the gradient; AdamW: decoupled, default 1e-2
};

// Kingma & Ba (2015), as torch.optim.Adam; t = step_count after the increment:
//   g = grad + weight_decay p;  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
//   p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
class Adam : public Optimizer {
public:
  Adam(std::vector<Tensor> parameters, AdamOptions options);
  void step() override;
  const AdamOptions& options() const { return options_; }

protected:
  Adam(std::string name, std::vector<Tensor> parameters, AdamOptions options, bool decoupled);

private:
  AdamOptions options_;
  bool decoupled_; // AdamW
  std::vector<Tensor>* exp_avg_ = nullptr;
  std::vector<Tensor>* exp_avg_sq_ = nullptr;
};

// Loshchilov & Hutter (2019), as torch.optim.AdamW: the decay shrinks the weights directly,
// p *= 1 - lr weight_decay, and the Adam step uses the bare gradient.
class AdamW : public Adam {
public:
  static AdamOptions defaults() {
    AdamOptions options;
    options.weight_decay = 1e-2;
    return options;
  }
  AdamW(std::vector<Tensor> parameters, AdamOptions options = defaults());
};

} // namespace tapegrad::nn
