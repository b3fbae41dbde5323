#include "mdn/sequence_file.hpp"

#include "mdn/model_file.hpp"
#include "nn/serialize.hpp"

#include <cmath>
#include <limits>

namespace tapegrad::mdn {

namespace {

std::string join_lines(const std::vector<std::string>& names) {
  std::string text;
  for (std::size_t i = 0; i < names.size(); ++i)
    text += (i ? "\n" : "") + names[i];
  return text;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> names;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = text.find('\n', start);
    names.push_back(text.substr(start, end == std::string::npos ? end : end - start));
    if (end == std::string::npos)
      return names;
    start = end + 1;
  }
}

Tensor doubles(const std::vector<double>& v) {
  return from_vector(v, {static_cast<std::int64_t>(v.size())}, kFloat64);
}
Tensor integer(std::int64_t v) {
  return from_vector(std::vector<std::int64_t>{v}, {1}, kInt64);
}

// The "config." entries, each checked for its kind before it is used.
class Config {
public:
  Config(const nn::StateDict& state, std::string source)
      : state_(state), source_(std::move(source)) {}
  Tensor get(const std::string& name, DType dtype) const {
    const Tensor t = state_.find("config." + name);
    if (!t.defined())
      fail("{}: not a sequence model file of `mdn fit --sequence` (no entry 'config.{}')", source_,
           name);
    if (t.dtype() != dtype || t.dim() != 1)
      fail("{}: entry 'config.{}' has dtype {} and {} axes; expected a 1-D {} tensor", source_,
           name, t.dtype(), t.dim(), dtype);
    return t;
  }
  std::int64_t size(const std::string& name) const {
    const Tensor t = get(name, kInt64);
    const std::int64_t v = t.numel() == 1 ? t.item<std::int64_t>() : 0;
    if (v < 1)
      fail("{}: entry 'config.{}' holds {}; expected one size of at least 1", source_, name,
           t.numel() == 1 ? fmt::format("{}", v) : fmt::format("{} values", t.numel()));
    return v;
  }
  std::string text(const std::string& name) const {
    return tensor_text(get(name, kInt64), source_, "config." + name);
  }
  std::vector<double> values(const std::string& name, std::size_t size, bool positive) const {
    const std::vector<double> v = get(name, kFloat64).to_vector<double>();
    if (v.size() != size)
      fail("{}: entry 'config.{}' holds {} values; expected {}", source_, name, v.size(), size);
    for (std::size_t i = 0; i < v.size(); ++i)
      if (!std::isfinite(v[i]) || (positive && !(v[i] > 0)))
        fail("{}: entry 'config.{}' holds {} at index {}; expected a finite{} number", source_,
             name, v[i], i, positive ? " positive" : "");
    return v;
  }

private:
  const nn::StateDict& state_;
  std::string source_;
};

std::int64_t times(std::int64_t a, std::int64_t b) { // saturating, for sizes read from a file
  std::int64_t product = 0;
  return __builtin_mul_overflow(a, b, &product) ? std::numeric_limits<std::int64_t>::max()
                                                : product;
}

} // namespace

bool is_sequence_model(const nn::StateDict& state) {
  return state.contains("config.sequence_format_version");
}

nn::StateDict sequence_model_state(const FittedSequenceModel& model) {
  const SequenceMDNOptions& o = model.module->options();
  nn::StateDict state;
  state.insert("config.sequence_format_version", integer(kSequenceFileVersion));
  state.insert("config.rnn", text_tensor(rnn_kind_name(o.rnn)));
  state.insert("config.noise", text_tensor(noise_model_name(o.noise)));
  state.insert("config.out_dim", integer(o.out_dim));
  state.insert("config.components", integer(o.components));
  state.insert("config.hidden", integer(o.hidden));
  state.insert("config.layers", integer(o.layers));
  state.insert("config.fixed_scale", doubles({o.fixed_scale}));
  state.insert("config.min_scale", doubles({o.min_scale}));
  state.insert("config.y_columns", text_tensor(join_lines(model.y_names)));
  state.insert("config.sequence_column", text_tensor(model.sequence_name));
  state.insert("config.y_mean", doubles(model.y_scale.mean));
  state.insert("config.y_std", doubles(model.y_scale.std));
  state.insert_all("model", model.module->state_dict());
  return state;
}

void FittedSequenceModel::save(const std::filesystem::path& path) const {
  nn::save_state(sequence_model_state(*this), path);
}

std::vector<unsigned char> FittedSequenceModel::to_bytes() const {
  return nn::state_bytes(sequence_model_state(*this));
}

FittedSequenceModel sequence_model_from_state(const nn::StateDict& state,
                                              const std::string& source) {
  const Config c(state, source);
  const std::int64_t version = c.size("sequence_format_version");
  if (version != kSequenceFileVersion)
    fail("{}: sequence model file version {}; this build reads version {}", source, version,
         kSequenceFileVersion);
  SequenceMDNOptions o;
  o.rnn = parse_rnn_kind(c.text("rnn"));
  o.noise = parse_noise_model(c.text("noise"));
  o.out_dim = o.in_features = c.size("out_dim");
  o.components = c.size("components");
  o.hidden = c.size("hidden");
  o.layers = c.size("layers");
  o.fixed_scale = c.values("fixed_scale", 1, true)[0];
  o.min_scale = c.values("min_scale", 1, false)[0];
  FittedSequenceModel model;
  model.y_names = split_lines(c.text("y_columns"));
  model.sequence_name = c.text("sequence_column");
  if (static_cast<std::int64_t>(model.y_names.size()) != o.out_dim)
    fail("{}: {} column names for a model of {} columns", source, model.y_names.size(), o.out_dim);
  const auto d = static_cast<std::size_t>(o.out_dim);
  model.y_scale = {c.values("y_mean", d, false), c.values("y_std", d, true)};

  // Before building the network: its largest matrices must fit in the parameters stored, so
  // that a damaged size is an error rather than an enormous allocation.
  std::int64_t stored = 0;
  for (const auto& [name, tensor] : state)
    if (name.rfind("model.", 0) == 0)
      stored += tensor.numel();
  const std::int64_t gates = times(o.rnn == RnnKind::GRU ? 3 : 4, o.hidden);
  for (const std::int64_t need :
       {times(o.layers, times(gates, o.hidden)), times(gates, o.out_dim),
        times(o.hidden, times(o.components, o.out_dim)),
        times(o.hidden, times(o.components, times(o.out_dim, o.out_dim)))})
    if (need > stored)
      fail("{}: corrupt model file: its options (rnn {}, hidden {}, layers {}, components {}, "
           "columns {}) call for more parameters than the {} it holds",
           source, rnn_kind_name(o.rnn), o.hidden, o.layers, o.components, o.out_dim, stored);
  Generator gen(0); // the weights are overwritten by the file's
  model.module = std::make_shared<SequenceMDN>(o, gen);
  nn::StateDict parameters;
  for (const auto& [name, tensor] : state) {
    if (name.rfind("model.", 0) == 0)
      parameters.insert(name.substr(6), tensor);
    else if (name.rfind("config.", 0) != 0)
      fail("{}: unexpected entry '{}'; expected only config.* and model.* entries", source, name);
  }
  model.module->load_state_dict(parameters, source);
  model.module->eval();
  return model;
}

FittedSequenceModel load_sequence_model(const std::filesystem::path& path) {
  return sequence_model_from_state(nn::load_state(path), path.string());
}

FittedSequenceModel load_sequence_model_from_bytes(std::span<const unsigned char> bytes,
                                                   const std::string& source) {
  return sequence_model_from_state(nn::state_from_bytes(bytes, source), source);
}

} // namespace tapegrad::mdn
