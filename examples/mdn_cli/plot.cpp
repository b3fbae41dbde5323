// mdn plot: the learned density p(y | x) of a model with one input and one output, over its data.
#include "common/args.hpp"
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
  plot.scatter(column(x), column(y), kBlue, "data", 1.6, 0.35);
  add_component_means(plot, mixture_of, xr);
  const std::vector<double> grid = cell_centres(xr, 200);
  const Tensor mean = mdn::mixture_mean(mixture_of(from_vector(grid, {200, 1}, kFloat32)));
  plot.line(grid, column(mean), kGreen, "mixture mean E[y|x]", 2, true);
  return plot;
}

int plot_command(int argc, char** argv) {
  Args args("mdn plot",
            "Draws the density p(y | x) of a model with one input and one output as a heat map\n"
            "over the rows of a CSV file, with the component means sized by their weight, as an\n"
            "SVG picture that opens in any browser.",
            {{"model", "FILE", "a model written by mdn fit", "", true},
             {"data", "FILE", "CSV with the model's columns (- reads standard input)", "", true},
             {"title", "TEXT", "the picture's title", "p(y | x)"},
             {"out", "FILE", "the SVG file (- writes standard output)", "", true}});
  if (!args.parse(argc, argv, 2))
    return 0;
  const mdn::FittedModel model = mdn::load(args.text("model"));
  const Table table = read_csv(args.text("data"));
  require_model_columns(table, model, args.text("model"), true);
  const Tensor x = table.matrix(model.x_names), y = table.matrix(model.y_names);
  Plot plot = model_picture(args.text("title"), model, x, y);
  plot.save(args.text("out"));
  return 0;
}

} // namespace tapegrad::examples
