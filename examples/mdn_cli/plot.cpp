// mdn plot: the learned density p(y | x) of a model with one input and one output, over its data.
#include "common/figures.hpp"
#include "mdn_cli/commands.hpp"

#include <mdn/model_file.hpp>

namespace tapegrad::examples {

// The picture `mdn plot` and `mdn demo` draw: p(y|x) as a heat map, the data, the component
// means sized by weight and the mixture mean E[y|x] (what a squared-error network would learn).
Plot model_picture(const std::string& title, const mdn::FittedModel& model, const Tensor& x,
                   const Tensor& y) {
  if (model.x_names.size() != 1 || model.y_names.size() != 1)
    fail("mdn plot: the model maps {} input(s) to {} output(s); expected one of each",
         model.x_names.size(), model.y_names.size());
  const MixtureOf mixture_of = [&](const Tensor& xs) { return model.mixture(xs); };
  const Range xr = range_of(column(x), 0.02), yr = range_of(column(y), 0.08);
  Plot plot = density_plot(title, mixture_of, xr, yr, model.x_names[0], model.y_names[0]);
  plot.scatter(column(x), column(y), kBlue, "data", 1.6,
               scatter_opacity(static_cast<std::size_t>(x.size(0)), 0.35));
  add_component_means(plot, mixture_of, xr);
  const std::vector<double> grid = cell_centres(xr, 200);
  const Tensor mean = mdn::mixture_mean(mixture_of(from_vector(grid, {200, 1}, kFloat32)));
  plot.line(grid, column(mean), kGreen,
            "mixture mean E[" + model.y_names[0] + " | " + model.x_names[0] + "]", 2, true);
  return plot;
}

Args plot_args() {
  std::vector<Flag> flags{{"model", "FILE", "a model written by mdn fit", "", true}};
  for (Flag& f : data_flags("CSV with the model's input and output columns"))
    flags.push_back(std::move(f));
  flags.push_back(
      {"title", "TEXT", "the picture's title (default: p(y | x) in the model's names)"});
  flags.push_back({"out", "FILE", "the SVG file (- writes standard output)", "", true});
  return Args("mdn plot",
              "Draws the density p(y | x) of a model with one input and one output as a heat map\n"
              "over the rows of a CSV file, with the component means sized by their weight, as an\n"
              "SVG picture that opens in any browser.",
              std::move(flags));
}

int plot_command(Args& args, const std::vector<std::string>& /*positional*/) {
  const mdn::FittedModel model = mdn::load(args.text("model"));
  Table table = read_data(args);
  require_model_columns(table, model, args.text("model"), true);
  std::vector<std::string> used = model.x_names;
  used.insert(used.end(), model.y_names.begin(), model.y_names.end());
  use_columns(table, used, args);
  const Tensor x = table.matrix(model.x_names), y = table.matrix(model.y_names);
  const std::string title = args.given("title")
                                ? args.text("title")
                                : fmt::format("p({} | {})", model.y_names[0], model.x_names[0]);
  Plot plot = model_picture(title, model, x, y);
  plot.save(args.text("out"));
  return 0;
}

} // namespace tapegrad::examples
