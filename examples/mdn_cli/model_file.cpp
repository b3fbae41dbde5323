#include "mdn_cli/model_file.hpp"

#include <nn/serialize.hpp>

#include <cmath>
#include <string_view>

namespace tapegrad::examples {

namespace {

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names)
    out += (out.empty() ? "" : "\n") + n;
  return out;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = text.find('\n', start);
    out.push_back(text.substr(start, end - start));
    if (end == std::string::npos)
      return out;
    start = end + 1;
  }
}

Tensor doubles(const std::vector<double>& v) {
  return from_vector(v, {static_cast<std::int64_t>(v.size())}, kFloat64);
}
Tensor integer(std::int64_t v) {
  return from_vector(std::vector<std::int64_t>{v}, {1}, kInt64);
}

class Reader {
public:
  Reader(const nn::StateDict& state, std::string path) : state_(state), path_(std::move(path)) {}
  Tensor get(const std::string& name, DType dtype) const {
    const Tensor t = state_.find("config." + name);
    if (!t.defined())
      fail("{}: not an `mdn` model file (no entry 'config.{}'; was it written by `mdn fit`?)",
           path_, name);
    if (t.dtype() != dtype || t.dim() != 1)
      fail("{}: entry 'config.{}' has dtype {} and {} axes; expected a 1-D {} tensor", path_, name,
           t.dtype(), t.dim(), dtype);
    return t;
  }
  std::int64_t integer(const std::string& name) const {
    const Tensor t = get(name, kInt64);
    if (t.numel() != 1)
      fail("{}: entry 'config.{}' holds {} values; expected one", path_, name, t.numel());
    return t.item<std::int64_t>();
  }
  std::string text(const std::string& name) const {
    return tensor_text(get(name, kInt64), path_, "config." + name);
  }
  std::vector<double> values(const std::string& name, std::size_t size) const {
    std::vector<double> v = get(name, kFloat64).to_vector<double>();
    if (v.size() != size)
      fail("{}: entry 'config.{}' holds {} values; expected {}", path_, name, v.size(), size);
    for (std::size_t i = 0; i < v.size(); ++i)
      if (!std::isfinite(v[i]))
        fail("{}: entry 'config.{}' holds {} at index {}; expected finite numbers", path_, name,
             v[i], i);
    return v;
  }
  // Scales: a zero or negative one would turn every prediction into NaN or Inf.
  std::vector<double> positive_values(const std::string& name, std::size_t size) const {
    std::vector<double> v = values(name, size);
    for (std::size_t i = 0; i < v.size(); ++i)
      if (!(v[i] > 0))
        fail("{}: entry 'config.{}' holds {} at index {}; expected a positive scale", path_, name,
             v[i], i);
    return v;
  }

private:
  const nn::StateDict& state_;
  std::string path_;
};

// The options come from the file. Before the network is built from them, every weight matrix
// they call for (inputs x outputs of each layer) must fit in the parameters the file holds, so
// that a damaged size is an error rather than an enormous allocation; load_state_dict checks the
// exact shapes afterwards.
void check_fits(const mdn::MDNOptions& o, const nn::StateDict& state, const std::string& path) {
  std::int64_t stored = 0;
  for (const auto& [name, tensor] : state)
    if (name.rfind("model.", 0) == 0)
      stored += tensor.numel();
  bool fits = true;
  const auto layer = [&](std::int64_t in, std::int64_t out) {
    if (in > 0 && out > 0 && in > stored / out)
      fits = false;
  };
  std::int64_t width = o.in_features;
  for (std::int64_t h : o.hidden) {
    layer(width, h);
    width = h;
  }
  layer(o.components, o.out_dim);
  if (fits)
    layer(width, o.components * o.out_dim);
  if (fits && o.noise == mdn::NoiseModel::Full && o.out_dim > 1)
    layer(width, o.components * o.out_dim * (o.out_dim - 1) / 2);
  if (!fits)
    fail("{}: corrupt model file: its options (in_features {}, hidden {}, components {}, out_dim "
         "{}) call for more parameters than the {} it holds",
         path, o.in_features, fmt::join(o.hidden, ","), o.components, o.out_dim, stored);
}

} // namespace

Tensor text_tensor(const std::string& text) {
  std::vector<std::int64_t> bytes(text.begin(), text.end());
  if (bytes.empty())
    bytes.push_back(0); // an empty text is one NUL byte, never a zero-size tensor
  return from_vector(bytes, {static_cast<std::int64_t>(bytes.size())}, kInt64);
}

std::string tensor_text(const Tensor& t, const std::string& path, const std::string& name) {
  if (t.dtype() != kInt64 || t.dim() != 1)
    fail("{}: entry '{}' has dtype {} and {} axes; expected a 1-D int64 tensor of text", path, name,
         t.dtype(), t.dim());
  std::string out;
  for (std::int64_t b : t.to_vector<std::int64_t>()) {
    if (b < 0 || b > 255)
      fail("{}: entry '{}' holds {}, not a byte of text; the file is corrupt", path, name, b);
    if (b != 0)
      out += static_cast<char>(b);
  }
  return out;
}

std::string activation_name(nn::Activation activation) {
  return activation == nn::Activation::ReLU ? "relu" : "tanh";
}

nn::Activation parse_activation(const std::string& name) {
  if (name == "tanh")
    return nn::Activation::Tanh;
  if (name == "relu")
    return nn::Activation::ReLU;
  fail("activation '{}': expected tanh or relu", name);
}

mdn::Mixture SavedModel::mixture(const Tensor& x) const {
  NoGradGuard no_grad;
  return y_scale.unstandardize(model->mixture(x_scale.apply(x)).detach());
}

void save_model(const std::string& path, const SavedModel& saved) {
  if (path == "-")
    fail("--out -: a model cannot go to standard output; expected a file name such as model.tgm");
  const mdn::MDNOptions& o = saved.options;
  nn::StateDict state;
  state.insert("config.format_version", integer(kModelFileVersion));
  state.insert("config.in_features", integer(o.in_features));
  state.insert("config.out_dim", integer(o.out_dim));
  state.insert("config.components", integer(o.components));
  state.insert("config.hidden",
               from_vector(o.hidden, {static_cast<std::int64_t>(o.hidden.size())}, kInt64));
  state.insert("config.activation", text_tensor(activation_name(o.activation)));
  state.insert("config.noise", text_tensor(std::string(mdn::noise_model_name(o.noise))));
  state.insert("config.fixed_scale", doubles({o.fixed_scale}));
  state.insert("config.min_scale", doubles({o.min_scale}));
  state.insert("config.x_columns", text_tensor(join(saved.x_names)));
  state.insert("config.y_columns", text_tensor(join(saved.y_names)));
  state.insert("config.x_mean", doubles(saved.x_scale.mean));
  state.insert("config.x_std", doubles(saved.x_scale.std));
  state.insert("config.y_mean", doubles(saved.y_scale.mean));
  state.insert("config.y_std", doubles(saved.y_scale.std));
  state.insert_all("model", saved.model->state_dict());
  nn::save_state(state, path);
}

SavedModel load_model(const std::string& path) {
  const nn::StateDict state = nn::load_state(path);
  const Reader r(state, path);
  const std::int64_t version = r.integer("format_version");
  if (version != kModelFileVersion)
    fail("{}: model file version {}; this build reads version {}", path, version,
         kModelFileVersion);
  SavedModel saved;
  mdn::MDNOptions& o = saved.options;
  o.in_features = r.integer("in_features");
  o.out_dim = r.integer("out_dim");
  o.components = r.integer("components");
  o.hidden = r.get("hidden", kInt64).to_vector<std::int64_t>();
  o.activation = parse_activation(r.text("activation"));
  o.noise = mdn::parse_noise_model(r.text("noise"));
  o.fixed_scale = r.positive_values("fixed_scale", 1)[0];
  o.min_scale = r.values("min_scale", 1)[0];
  saved.x_names = split_lines(r.text("x_columns"));
  saved.y_names = split_lines(r.text("y_columns"));
  if (static_cast<std::int64_t>(saved.x_names.size()) != o.in_features ||
      static_cast<std::int64_t>(saved.y_names.size()) != o.out_dim)
    fail("{}: {} input and {} output column names for a model of {} inputs and {} outputs", path,
         saved.x_names.size(), saved.y_names.size(), o.in_features, o.out_dim);
  const auto in = static_cast<std::size_t>(o.in_features);
  const auto out = static_cast<std::size_t>(o.out_dim);
  saved.x_scale = {r.values("x_mean", in), r.positive_values("x_std", in)};
  saved.y_scale = {r.values("y_mean", out), r.positive_values("y_std", out)};

  check_fits(o, state, path);
  Generator gen(0); // the weights are overwritten by the file's
  saved.model = std::make_shared<mdn::MDN>(o, gen);
  nn::StateDict parameters;
  for (const auto& [name, tensor] : state) {
    if (name.rfind("model.", 0) == 0)
      parameters.insert(name.substr(6), tensor);
    else if (name.rfind("config.", 0) != 0)
      fail("{}: unexpected entry '{}'; expected only config.* and model.* entries", path, name);
  }
  saved.model->load_state_dict(parameters, path);
  saved.model->eval();
  return saved;
}

} // namespace tapegrad::examples
