#pragma once
// A "state": named tensors, in a fixed order. A model's state is its parameters and buffers, an
// optimiser's its moment buffers and step count; serialize.hpp writes states to files and reads
// them back. Anything that can be saved and restored implements Stateful.
#include <autograd/tensor.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tapegrad::nn {

class StateDict {
public:
  using Entry = std::pair<std::string, Tensor>;

  // Appends an entry; a name may appear only once.
  void insert(std::string name, Tensor tensor);
  // Every entry of `other`, its names prefixed with `prefix` and a dot.
  void insert_all(std::string_view prefix, const StateDict& other);
  // The entry called `name`, or an undefined tensor.
  Tensor find(std::string_view name) const;
  bool contains(std::string_view name) const { return find(name).defined(); }

  std::size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  auto begin() const { return entries_.begin(); }
  auto end() const { return entries_.end(); }

private:
  std::vector<Entry> entries_;
};

// A copy of `state` whose tensors share no storage with it, off the tape: a snapshot that goes on
// holding its values while the model or optimiser it came from trains on (the best epoch's model,
// a checkpoint waiting to be written). Put one back with load_state_dict.
StateDict clone_state(const StateDict& state);

// A model, an optimiser or a learning-rate schedule: it can hand out its state and take it back.
class Stateful {
public:
  virtual ~Stateful() = default;
  // Tensors that share storage with the object where it has tensors, so that a state taken and
  // saved at once costs no copy.
  virtual StateDict state_dict() const = 0;
  // Takes the state back. `source` (a file name, say) only goes into error messages.
  virtual void load_state_dict(const StateDict& state, std::string_view source = "state") = 0;
};

// Checks that `given` has exactly the names of `expected`, each with the same dtype and shape,
// and throws an Error naming `source`, `what` ("model", "Adam") and the first offending tensor
// otherwise. Nothing is copied.
void check_state(const StateDict& expected, const StateDict& given, std::string_view source,
                 std::string_view what);

// check_state, then copies every given tensor's elements into the expected tensor of that name:
// all or nothing, so a rejected state leaves the object untouched.
void copy_state(const StateDict& expected, const StateDict& given, std::string_view source,
                std::string_view what);

} // namespace tapegrad::nn
