// mdn predict: point predictions and the whole mixture, one row per input row.
#include "common/args.hpp"
#include "mdn_cli/commands.hpp"

#include <mdn/predictions.hpp>

#include <cmath>

namespace tapegrad::examples {

int predict_command(int argc, char** argv) {
  Args args(
      "mdn predict",
      "Writes, for every row of a CSV file, the model's inputs, then per output column its\n"
      "mixture mean, standard deviation and mode, then each component's weight pi_k, mean\n"
      "mu_k and standard deviation sigma_k.",
      {{"model", "FILE", "a model written by mdn fit", "", true},
       {"data", "FILE", "CSV with the model's input columns (- reads standard input)", "", true},
       {"out", "FILE", "predictions as CSV (- writes standard output)", "", true}});
  if (!args.parse(argc, argv, 2))
    return 0;
  const SavedModel saved = load_model(args.text("model"));
  const Table table = read_csv(args.text("data"));
  require_model_columns(table, saved, args.text("model"), false);
  const Tensor x = table.matrix(saved.x_names);
  const mdn::Mixture m = saved.mixture(x).detach();
  const std::int64_t n = x.size(0), in = x.size(1), k = m.num_components(), d = m.dim();

  std::vector<std::string> header = saved.x_names;
  for (const std::string& y : saved.y_names)
    for (const char* what : {"mean_", "std_", "mode_"})
      header.push_back(what + y);
  for (std::int64_t c = 0; c < k; ++c) {
    header.push_back(fmt::format("pi_{}", c));
    for (const std::string& y : saved.y_names) {
      header.push_back(fmt::format("mu_{}_{}", c, y));
      header.push_back(fmt::format("sigma_{}_{}", c, y));
    }
  }
  const std::vector<double> xs = x.to_vector<double>();
  const std::vector<double> mean = mdn::mixture_mean(m).to_vector<double>();
  const std::vector<double> cov = mdn::mixture_covariance(m).total.to_vector<double>();
  const std::vector<double> mode = mdn::mixture_mode(m).to_vector<double>();
  const std::vector<double> log_pi = m.log_pi.to_vector<double>();
  const std::vector<double> mu = m.mean.to_vector<double>();
  const std::vector<double> scale = m.scale.to_vector<double>();
  const bool full = m.noise == mdn::NoiseModel::Full;
  const std::int64_t scale_width = m.scale.size(2); // D, or 1 for isotropic and fixed
  auto at = [](const std::vector<double>& v, std::int64_t i) {
    return v[static_cast<std::size_t>(i)];
  };

  std::vector<std::vector<double>> rows;
  for (std::int64_t b = 0; b < n; ++b) {
    std::vector<double> row;
    for (std::int64_t j = 0; j < in; ++j)
      row.push_back(at(xs, b * in + j));
    for (std::int64_t j = 0; j < d; ++j) {
      row.push_back(at(mean, b * d + j));
      row.push_back(std::sqrt(at(cov, (b * d + j) * d + j)));
      row.push_back(at(mode, b * d + j));
    }
    for (std::int64_t c = 0; c < k; ++c) {
      row.push_back(std::exp(at(log_pi, b * k + c)));
      for (std::int64_t j = 0; j < d; ++j) {
        row.push_back(at(mu, (b * k + c) * d + j));
        double sigma = 0;
        if (full) { // the standard deviation of coordinate j: the norm of row j of L
          for (std::int64_t i = 0; i <= j; ++i)
            sigma += std::pow(at(scale, ((b * k + c) * d + j) * d + i), 2);
          sigma = std::sqrt(sigma);
        } else {
          sigma = at(scale, (b * k + c) * scale_width + (scale_width == 1 ? 0 : j));
        }
        row.push_back(sigma);
      }
    }
    rows.push_back(std::move(row));
  }
  write_csv(args.text("out"), header, rows);
  return 0;
}

} // namespace tapegrad::examples
