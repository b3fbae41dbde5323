// mdn predict: point predictions and the whole mixture, one row per input row.
#include "mdn_cli/commands.hpp"

#include <mdn/model_file.hpp>

namespace tapegrad::examples {

Args predict_args() {
  std::vector<Flag> flags{{"model", "FILE", "a model written by mdn fit", "", true}};
  for (Flag& f : data_flags("CSV with the model's input columns"))
    flags.push_back(std::move(f));
  flags.push_back({"out", "FILE", "predictions as CSV (- writes standard output)", "", true});
  return Args(
      "mdn predict",
      "Writes, for every row of a CSV file, the model's inputs, then per output column its\n"
      "mixture mean, standard deviation and mode, then each component's weight pi_k, mean\n"
      "mu_k and standard deviation sigma_k, all in the data's units.",
      std::move(flags));
}

int predict_command(Args& args, const std::vector<std::string>& /*positional*/) {
  const mdn::FittedModel model = mdn::load(args.text("model"));
  Table table = read_data(args);
  require_model_columns(table, model, args.text("model"), false);
  use_columns(table, model.x_names, args);
  const Tensor x = table.matrix(model.x_names);
  const mdn::Predictions p = model.predict(x);
  const std::int64_t n = x.size(0), in = x.size(1), k = p.weight.size(1), d = p.mean.size(1);

  std::vector<std::string> header = model.x_names;
  for (const std::string& y : model.y_names)
    for (const char* what : {"mean_", "std_", "mode_"})
      header.push_back(what + y);
  for (std::int64_t c = 0; c < k; ++c) {
    header.push_back(fmt::format("pi_{}", c));
    for (const std::string& y : model.y_names) {
      header.push_back(fmt::format("mu_{}_{}", c, y));
      header.push_back(fmt::format("sigma_{}_{}", c, y));
    }
  }
  const std::vector<double> xs = x.to_vector<double>(), mean = p.mean.to_vector<double>(),
                            stddev = p.stddev.to_vector<double>(),
                            mode = p.mode.to_vector<double>(),
                            weight = p.weight.to_vector<double>(),
                            mu = p.component_mean.to_vector<double>(),
                            sigma = p.component_stddev.to_vector<double>();
  auto at = [](const std::vector<double>& v, std::int64_t i) {
    return v[static_cast<std::size_t>(i)];
  };
  std::vector<std::vector<double>> rows;
  for (std::int64_t b = 0; b < n; ++b) {
    std::vector<double> row;
    for (std::int64_t j = 0; j < in; ++j)
      row.push_back(at(xs, b * in + j));
    for (std::int64_t j = 0; j < d; ++j)
      for (const std::vector<double>* v : {&mean, &stddev, &mode})
        row.push_back(at(*v, b * d + j));
    for (std::int64_t c = 0; c < k; ++c) {
      row.push_back(at(weight, b * k + c));
      for (std::int64_t j = 0; j < d; ++j) {
        row.push_back(at(mu, (b * k + c) * d + j));
        row.push_back(at(sigma, (b * k + c) * d + j));
      }
    }
    rows.push_back(std::move(row));
  }
  write_csv(args.text("out"), header, rows);
  return 0;
}

} // namespace tapegrad::examples
