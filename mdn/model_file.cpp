#include "mdn/model_file.hpp"

#include "mdn/ensemble.hpp"
#include "nn/serialize.hpp"

#include <fmt/ranges.h>

#include <cmath>
#include <limits>

namespace tapegrad::mdn {

namespace {

std::string join_lines(const std::vector<std::string>& names) {
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

// The "config." entries of a state, each checked for its kind before it is used.
class ConfigReader {
public:
  ConfigReader(const nn::StateDict& state, std::string source)
      : state_(state), source_(std::move(source)) {}
  Tensor get(const std::string& name, DType dtype) const {
    const Tensor t = state_.find("config." + name);
    if (!t.defined())
      fail("{}: not an `mdn` model file (no entry 'config.{}'; was it written by `mdn fit`?)",
           source_, name);
    if (t.dtype() != dtype || t.dim() != 1)
      fail("{}: entry 'config.{}' has dtype {} and {} axes; expected a 1-D {} tensor", source_,
           name, t.dtype(), t.dim(), dtype);
    return t;
  }
  std::int64_t integer(const std::string& name) const {
    const Tensor t = get(name, kInt64);
    if (t.numel() != 1)
      fail("{}: entry 'config.{}' holds {} values; expected one", source_, name, t.numel());
    return t.item<std::int64_t>();
  }
  // A size of the network: at least 1.
  std::int64_t size(const std::string& name) const { return checked_size(integer(name), name); }
  std::vector<std::int64_t> sizes(const std::string& name) const {
    std::vector<std::int64_t> v = get(name, kInt64).to_vector<std::int64_t>();
    for (std::int64_t& s : v)
      s = checked_size(s, name);
    return v;
  }
  std::string text(const std::string& name) const {
    return tensor_text(get(name, kInt64), source_, "config." + name);
  }
  std::vector<double> values(const std::string& name, std::size_t size) const {
    std::vector<double> v = get(name, kFloat64).to_vector<double>();
    if (v.size() != size)
      fail("{}: entry 'config.{}' holds {} values; expected {}", source_, name, v.size(), size);
    for (std::size_t i = 0; i < v.size(); ++i)
      if (!std::isfinite(v[i]))
        fail("{}: entry 'config.{}' holds {} at index {}; expected finite numbers", source_, name,
             v[i], i);
    return v;
  }
  // Scales: a zero or negative one would turn every prediction into NaN or Inf.
  std::vector<double> positive_values(const std::string& name, std::size_t size) const {
    std::vector<double> v = values(name, size);
    for (std::size_t i = 0; i < v.size(); ++i)
      if (!(v[i] > 0))
        fail("{}: entry 'config.{}' holds {} at index {}; expected a positive scale", source_, name,
             v[i], i);
    return v;
  }

private:
  std::int64_t checked_size(std::int64_t s, const std::string& name) const {
    if (s < 1)
      fail("{}: entry 'config.{}' holds {}; expected a size of at least 1; the file is corrupt",
           source_, name, s);
    return s;
  }
  const nn::StateDict& state_;
  std::string source_;
};

// a * b for sizes read from a file, saturating: a product too large for an int64 is larger than
// anything a file holds, and must not wrap around into a small number.
std::int64_t size_product(std::int64_t a, std::int64_t b) {
  std::int64_t product = 0;
  return __builtin_mul_overflow(a, b, &product) ? std::numeric_limits<std::int64_t>::max()
                                                : product;
}

// Before the network is built from the options read, every weight matrix they call for (inputs x
// outputs of each layer) must fit in the parameters the file holds, so that a damaged size is an
// error rather than an enormous allocation; load_state_dict checks the exact shapes afterwards.
void check_fits(const MDNOptions& o, std::int64_t members, const nn::StateDict& state,
                const std::string& source) {
  std::int64_t stored = 0;
  for (const auto& [name, tensor] : state)
    if (name.rfind("model.", 0) == 0)
      stored += tensor.numel();
  bool fits = true;
  const auto layer = [&](std::int64_t in, std::int64_t out) {
    fits = fits && size_product(members, size_product(in, out)) <= stored;
  };
  std::int64_t width = o.in_features;
  for (std::int64_t h : o.hidden) {
    layer(width, h);
    width = h;
  }
  layer(o.components, o.out_dim);
  layer(width, size_product(o.components, o.out_dim));
  if (o.noise == NoiseModel::Full) // the strictly lower triangles: K D (D - 1) / 2
    layer(width, size_product(o.components, size_product(o.out_dim, o.out_dim - 1) / 2));
  if (!fits)
    fail("{}: corrupt model file: its options (in_features {}, hidden {}, components {}, out_dim "
         "{}, {} network(s)) call for more parameters than the {} it holds",
         source, o.in_features, fmt::join(o.hidden, ","), o.components, o.out_dim, members, stored);
}

// The optional training curves: all three entries or none, of one length, the best epoch one
// of them, the training NLL finite and the validation NLL finite or NaN (not measured).
TrainResult read_history(const ConfigReader& r, const nn::StateDict& state,
                         const std::string& source) {
  TrainResult result;
  const char* names[] = {"history.train_nll", "history.val_nll", "history.best_epoch"};
  int present = 0;
  for (const char* name : names)
    present += state.find(std::string("config.") + name).defined() ? 1 : 0;
  if (present == 0)
    return result;
  if (present != 3)
    fail("{}: {} of the 3 entries config.history.*; expected all or none; the file is corrupt",
         source, present);
  const std::vector<double> train = r.get("history.train_nll", kFloat64).to_vector<double>();
  const std::vector<double> val = r.get("history.val_nll", kFloat64).to_vector<double>();
  const std::int64_t best = r.integer("history.best_epoch");
  if (val.size() != train.size() || train.empty())
    fail("{}: entries 'config.history.train_nll' and 'config.history.val_nll' hold {} and {} "
         "epochs; expected the same number, at least 1",
         source, train.size(), val.size());
  if (best < 1 || best > static_cast<std::int64_t>(train.size()))
    fail("{}: entry 'config.history.best_epoch' holds {}; expected an epoch from 1 to {}", source,
         best, train.size());
  for (std::size_t e = 0; e < train.size(); ++e)
    if (!std::isfinite(train[e]) || std::isinf(val[e]))
      fail("{}: the history of epoch {} holds training NLL {} and validation NLL {}; expected "
           "finite numbers (NaN: no validation)",
           source, e + 1, train[e], val[e]);
  double best_so_far = NAN;
  for (std::size_t e = 0; e < train.size(); ++e) {
    const bool improved = !std::isnan(val[e]) && (std::isnan(best_so_far) || val[e] < best_so_far);
    if (improved)
      best_so_far = val[e];
    result.history.push_back({.epoch = static_cast<std::int64_t>(e) + 1,
                              .train_nll = train[e],
                              .val_nll = val[e],
                              .improved = improved});
  }
  result.best_epoch = best;
  result.best_val_nll = val[static_cast<std::size_t>(best - 1)];
  return result;
}

} // namespace

Tensor text_tensor(std::string_view text) {
  std::vector<std::int64_t> bytes;
  for (char c : text)
    bytes.push_back(static_cast<unsigned char>(c)); // a byte of UTF-8 is 0..255, not a signed char
  if (bytes.empty())
    bytes.push_back(0); // an empty text is one NUL byte, never a zero-size tensor
  return from_vector(bytes, {static_cast<std::int64_t>(bytes.size())}, kInt64);
}

std::string tensor_text(const Tensor& t, const std::string& source, const std::string& name) {
  if (t.dtype() != kInt64 || t.dim() != 1)
    fail("{}: entry '{}' has dtype {} and {} axes; expected a 1-D int64 tensor of text", source,
         name, t.dtype(), t.dim());
  std::string out;
  for (std::int64_t b : t.to_vector<std::int64_t>()) {
    // -128..-1: a byte above 127 as the first release wrote it (a sign-extended char).
    if (b < -128 || b > 255)
      fail("{}: entry '{}' holds {}, not a byte of text; the file is corrupt", source, name, b);
    if (b != 0)
      out += static_cast<char>(static_cast<unsigned char>(b & 0xff));
  }
  return out;
}

nn::StateDict model_state(const FittedModel& model) {
  const MDNOptions& o = model.options();
  const std::int64_t members = model.ensemble_size();
  nn::StateDict state;
  state.insert("config.format_version", integer(members == 1 ? 1 : 2));
  state.insert("config.in_features", integer(o.in_features));
  state.insert("config.out_dim", integer(o.out_dim));
  state.insert("config.components", integer(o.components));
  state.insert("config.hidden",
               from_vector(o.hidden, {static_cast<std::int64_t>(o.hidden.size())}, kInt64));
  state.insert("config.activation", text_tensor(nn::activation_name(o.activation)));
  state.insert("config.noise", text_tensor(noise_model_name(o.noise)));
  state.insert("config.fixed_scale", doubles({o.fixed_scale}));
  state.insert("config.min_scale", doubles({o.min_scale}));
  state.insert("config.x_columns", text_tensor(join_lines(model.x_names)));
  state.insert("config.y_columns", text_tensor(join_lines(model.y_names)));
  state.insert("config.x_mean", doubles(model.x_scale.mean));
  state.insert("config.x_std", doubles(model.x_scale.std));
  state.insert("config.y_mean", doubles(model.y_scale.mean));
  state.insert("config.y_std", doubles(model.y_scale.std));
  if (!model.result.history.empty()) {
    std::vector<double> train_nll, val_nll;
    for (const EpochReport& r : model.result.history) {
      train_nll.push_back(r.train_nll);
      val_nll.push_back(r.val_nll);
    }
    state.insert("config.history.train_nll", doubles(train_nll));
    state.insert("config.history.val_nll", doubles(val_nll));
    state.insert("config.history.best_epoch", integer(model.result.best_epoch));
  }
  if (members == 1) {
    state.insert_all("model", model.members.front()->state_dict());
    return state;
  }
  state.insert("config.ensemble", integer(members));
  for (std::int64_t m = 0; m < members; ++m)
    state.insert_all(fmt::format("model.{}", m),
                     model.members[static_cast<std::size_t>(m)]->state_dict());
  return state;
}

void FittedModel::save(const std::filesystem::path& path) const {
  if (!complete())
    fail("save: the fit was stopped before its end; resume it from its checkpoint first");
  nn::save_state(model_state(*this), path);
}

std::vector<unsigned char> FittedModel::to_bytes() const {
  if (!complete())
    fail("to_bytes: the fit was stopped before its end; resume it from its checkpoint first");
  return nn::state_bytes(model_state(*this));
}

FittedModel model_from_state(const nn::StateDict& state, const std::string& source) {
  const ConfigReader r(state, source);
  const std::int64_t version = r.integer("format_version");
  if (version < 1 || version > kModelFileVersion)
    fail("{}: model file version {}; this build reads versions 1 to {}", source, version,
         kModelFileVersion);
  const std::int64_t members = version == 1 ? 1 : r.size("ensemble");
  if (members > kMaxEnsemble)
    fail("{}: entry 'config.ensemble' holds {}; expected an ensemble of at most {} networks; the "
         "file is corrupt",
         source, members, kMaxEnsemble);
  MDNOptions o;
  o.in_features = r.size("in_features");
  o.out_dim = r.size("out_dim");
  o.components = r.size("components");
  o.hidden = r.sizes("hidden");
  o.activation = nn::parse_activation(r.text("activation"));
  o.noise = parse_noise_model(r.text("noise"));
  o.fixed_scale = r.positive_values("fixed_scale", 1)[0];
  o.min_scale = r.values("min_scale", 1)[0];
  FittedModel model;
  model.x_names = split_lines(r.text("x_columns"));
  model.y_names = split_lines(r.text("y_columns"));
  if (static_cast<std::int64_t>(model.x_names.size()) != o.in_features ||
      static_cast<std::int64_t>(model.y_names.size()) != o.out_dim)
    fail("{}: {} input and {} output column names for a model of {} inputs and {} outputs", source,
         model.x_names.size(), model.y_names.size(), o.in_features, o.out_dim);
  const auto in = static_cast<std::size_t>(o.in_features);
  const auto out = static_cast<std::size_t>(o.out_dim);
  model.x_scale = {r.values("x_mean", in), r.positive_values("x_std", in)};
  model.y_scale = {r.values("y_mean", out), r.positive_values("y_std", out)};

  model.result = read_history(r, state, source);

  check_fits(o, members, state, source);
  // Network m's parameters are model.<m>.* (version 2) or model.* (version 1, one network).
  std::vector<nn::StateDict> parameters(static_cast<std::size_t>(members));
  for (const auto& [name, tensor] : state) {
    if (name.rfind("config.", 0) == 0)
      continue;
    if (name.rfind("model.", 0) != 0)
      fail("{}: unexpected entry '{}'; expected only config.* and model.* entries", source, name);
    if (version == 1) {
      parameters.front().insert(name.substr(6), tensor);
      continue;
    }
    const std::size_t dot = name.find('.', 6);
    const std::string index = name.substr(6, dot == std::string::npos ? 0 : dot - 6);
    const bool digits = !index.empty() && index.size() <= 4 &&
                        index.find_first_not_of("0123456789") == std::string::npos;
    if (!digits || std::stoll(index) >= members)
      fail("{}: unexpected entry '{}'; expected model.<m>.* with m below the ensemble's {}", source,
           name, members);
    parameters[static_cast<std::size_t>(std::stoll(index))].insert(name.substr(dot + 1), tensor);
  }
  for (std::int64_t m = 0; m < members; ++m) {
    Generator gen(0); // the weights are overwritten by the file's
    auto network = std::make_shared<MDN>(o, gen);
    network->load_state_dict(parameters[static_cast<std::size_t>(m)],
                             members == 1 ? source : fmt::format("{} (network {})", source, m));
    network->eval();
    model.members.push_back(std::move(network));
  }
  return model;
}

FittedModel load(const std::filesystem::path& path) {
  return model_from_state(nn::load_state(path), path.string());
}

FittedModel load_from_bytes(std::span<const unsigned char> bytes, const std::string& source) {
  return model_from_state(nn::state_from_bytes(bytes, source), source);
}

} // namespace tapegrad::mdn
