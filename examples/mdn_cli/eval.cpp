// mdn eval: how well a saved model explains held-out data.
#include "common/json.hpp"
#include "mdn_cli/commands.hpp"

#include <mdn/model_file.hpp>
#include <mdn/sequence_file.hpp>
#include <nn/serialize.hpp>

#include <fmt/format.h>

namespace tapegrad::examples {

Args eval_args() {
  std::vector<Flag> flags{{"model", "FILE", "a model written by mdn fit", "", true}};
  for (Flag& f : data_flags("CSV with the model's input and output columns"))
    flags.push_back(std::move(f));
  flags.push_back({"json", "", "print one JSON object instead of a table"});
  return Args("mdn eval",
              "Scores a model on a CSV file holding its input and output columns: the negative\n"
              "log-likelihood in nats per point in the units of y, RMSE and MAE of the mixture\n"
              "mean, and for one output the CRPS and the share of points inside the central 90%\n"
              "interval. Given a sequence model (mdn fit --sequence), the NLL per step of\n"
              "p(y_t | y_<t) over the data's sequences.",
              std::move(flags));
}

int eval_command(Args& args, const std::vector<std::string>& /*positional*/) {
  const nn::StateDict state = nn::load_state(args.text("model"));
  if (mdn::is_sequence_model(state))
    return eval_sequence_command(args, mdn::sequence_model_from_state(state, args.text("model")));
  const mdn::FittedModel model = mdn::model_from_state(state, args.text("model"));
  Table table = read_data(args);
  require_model_columns(table, model, args.text("model"), true);
  std::vector<std::string> used = model.x_names;
  used.insert(used.end(), model.y_names.begin(), model.y_names.end());
  use_columns(table, used, args);
  const mdn::Metrics m = model.evaluate(table.matrix(model.x_names), table.matrix(model.y_names));
  if (args.on("json")) {
    std::vector<std::pair<std::string, std::string>> members{
        {"rows", fmt::format("{}", table.rows())},
        {"nll", json_number(m.nll)},
        {"rmse", json_number(m.rmse)},
        {"mae", json_number(m.mae)}};
    if (m.crps)
      members.emplace_back("crps", json_number(*m.crps));
    if (m.coverage90)
      members.emplace_back("coverage90", json_number(*m.coverage90));
    fmt::print("{}\n", json_object(members));
    return 0;
  }
  fmt::print("rows        {}\n", table.rows());
  fmt::print("NLL         {:.4f} nats per point, in the units of {}\n", m.nll,
             fmt::join(model.y_names, ","));
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
