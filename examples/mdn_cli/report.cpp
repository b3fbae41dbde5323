// mdn report: one HTML page that shows how a model does on a data set.
#include "common/io.hpp"
#include "common/json.hpp"
#include "mdn_cli/commands.hpp"

#include <mdn/model_file.hpp>

#include <fmt/format.h>

namespace tapegrad::examples {

Args report_args() {
  std::vector<Flag> flags{{"model", "FILE", "a model written by mdn fit", "", true}};
  for (Flag& f : data_flags("CSV with the model's input and output columns (held-out data)"))
    flags.push_back(std::move(f));
  const std::vector<Flag> more{
      {"seed", "N", "seed of the samples drawn for the pictures", "1"},
      {"json", "", "print the scores as one JSON object"},
      {"out", "FILE", "the HTML file (- writes standard output)", "", true}};
  flags.insert(flags.end(), more.begin(), more.end());
  return Args(
      "mdn report",
      "Writes one self-contained HTML page (inline SVG and CSS, nothing fetched from a network)\n"
      "about a model on a CSV file: the scores (NLL, RMSE, MAE, CRPS), the density with the data\n"
      "and samples for one input and one output (per-output marginals otherwise), the\n"
      "calibration (a PIT histogram with the band of a calibrated model, the coverage of the\n"
      "50/80/90/95% central intervals against nominal) and the training curves of the model\n"
      "file.",
      std::move(flags));
}

int report_command(Args& args, const std::vector<std::string>& /*positional*/) {
  const std::string model_path = args.text("model");
  const mdn::FittedModel model = mdn::load(model_path);
  Table table = read_data(args);
  require_model_columns(table, model, model_path, true);
  std::vector<std::string> used = model.x_names;
  used.insert(used.end(), model.y_names.begin(), model.y_names.end());
  use_columns(table, used, args);
  const ReportInputs inputs{model_path, table.source, table.matrix(model.x_names),
                            table.matrix(model.y_names),
                            static_cast<std::uint64_t>(args.integer("seed", 0))};
  const std::string out = args.text("out");
  write_file_atomic(out, report_html(model, inputs));
  if (out == "-")
    return 0;
  const mdn::Metrics m = model.evaluate(inputs.x, inputs.y);
  if (args.on("json"))
    fmt::print("{}\n", json_object({{"report", json_string(out)},
                                    {"rows", fmt::format("{}", table.rows())},
                                    {"nll", json_number(m.nll)},
                                    {"rmse", json_number(m.rmse)},
                                    {"mae", json_number(m.mae)}}));
  else
    fmt::print("wrote {} ({} rows; NLL {:.4f} nats per point)\n", out, table.rows(), m.nll);
  return 0;
}

} // namespace tapegrad::examples
