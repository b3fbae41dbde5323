// mdn eval: how well a saved model explains held-out data.
#include "common/args.hpp"
#include "common/io.hpp"
#include "mdn_cli/commands.hpp"

#include <mdn/model_file.hpp>
#include <mdn/sequence_file.hpp>
#include <nn/serialize.hpp>

#include <fmt/format.h>

#include <cmath>

namespace tapegrad::examples {

namespace {
std::string json_number(double v) {
  return std::isfinite(v) ? format_number(v) : "null";
}
} // namespace

int eval_command(int argc, char** argv) {
  Args args("mdn eval",
            "Scores a model on a CSV file holding its input and output columns: the negative\n"
            "log-likelihood in nats per point, RMSE and MAE of the mixture mean, and for one\n"
            "output the CRPS and the share of points inside the central 90% interval. Given a\n"
            "sequence model, the NLL per step of p(y_t | y_<t) over the data's sequences.",
            {{"model", "FILE", "a model written by mdn fit", "", true},
             {"data", "FILE", "CSV with the model's columns (- reads standard input)", "", true},
             {"json", "", "print one JSON object instead of a table"}});
  if (!args.parse(argc, argv, 2))
    return 0;
  const nn::StateDict state = nn::load_state(args.text("model"));
  if (mdn::is_sequence_model(state))
    return eval_sequence_command(args, mdn::sequence_model_from_state(state, args.text("model")));
  const mdn::FittedModel model = mdn::model_from_state(state, args.text("model"));
  const Table table = read_csv(args.text("data"));
  require_model_columns(table, model, args.text("model"), true);
  const mdn::Metrics m = model.evaluate(table.matrix(model.x_names), table.matrix(model.y_names));
  if (args.on("json")) {
    std::string out = fmt::format(R"({{"rows": {}, "nll": {}, "rmse": {}, "mae": {})", table.rows(),
                                  json_number(m.nll), json_number(m.rmse), json_number(m.mae));
    if (m.crps)
      out += fmt::format(R"(, "crps": {})", json_number(*m.crps));
    if (m.coverage90)
      out += fmt::format(R"(, "coverage90": {})", json_number(*m.coverage90));
    fmt::print("{}}}\n", out);
    return 0;
  }
  fmt::print("rows        {}\n", table.rows());
  fmt::print("NLL         {:.4f} nats per point\n", m.nll);
  fmt::print("RMSE        {:.4g}  (of the mixture mean; of the mode: {:.4g})\n", m.rmse,
             m.rmse_mode);
  fmt::print("MAE         {:.4g}  (of the mixture mean; of the mode: {:.4g})\n", m.mae, m.mae_mode);
  if (m.crps)
    fmt::print("CRPS        {:.4g}\n", *m.crps);
  if (m.coverage90)
    fmt::print("coverage90  {:.3f}  (share inside the central 90% interval; 0.9 when calibrated)\n",
               *m.coverage90);
  return 0;
}

} // namespace tapegrad::examples
