// mdn sample: draws from p(y | x) for every row, with the temperatures of the sampling post.
#include "mdn_cli/commands.hpp"

#include <mdn/model_file.hpp>
#include <mdn/sequence_file.hpp>
#include <nn/serialize.hpp>

namespace tapegrad::examples {

Args sample_args() {
  std::vector<Flag> flags{{"model", "FILE", "a model written by mdn fit", "", true}};
  for (Flag& f : data_flags("CSV with the model's input columns"))
    flags.push_back(std::move(f));
  const std::vector<Flag> more{
      {"n", "N", "samples per row", "10"},
      {"temperature", "F", "temperature on the mixing weights", "1"},
      {"sigma-temperature", "F", "temperature on the component scales", "1"},
      {"seed", "N", "seed of the draws", "1"},
      {"steps", "N",
       "with a sequence model (mdn fit --sequence): continue each sequence of the data by N "
       "steps, --n times"},
      {"out", "FILE", "samples as CSV (- writes standard output)", "", true}};
  flags.insert(flags.end(), more.begin(), more.end());
  return Args(
      "mdn sample",
      "Draws --n samples of y from p(y | x) for every row of a CSV file and writes them in\n"
      "long form: row (counted from 0 among the file's data rows), sample, the inputs, the\n"
      "drawn outputs. --temperature softens (> 1) or sharpens (< 1) the choice of component;\n"
      "--sigma-temperature widens or narrows each Gaussian. Both at 0 give the mean of the\n"
      "most probable component. Given a sequence model, it continues each sequence of the\n"
      "data by --steps drawn steps instead.",
      std::move(flags));
}

int sample_command(Args& args, const std::vector<std::string>& /*positional*/) {
  const nn::StateDict state = nn::load_state(args.text("model"));
  if (mdn::is_sequence_model(state))
    return sample_sequence_command(args, mdn::sequence_model_from_state(state, args.text("model")));
  if (args.given("steps"))
    fail(
        "mdn sample: --steps needs a sequence model (mdn fit --sequence); {} is a feed-forward one",
        args.text("model"));
  const std::int64_t count = args.integer("n", 1);
  const mdn::SampleOptions options{args.number("temperature", 0),
                                   args.number("sigma-temperature", 0)};
  Generator gen(static_cast<std::uint64_t>(args.integer("seed", 0)));
  const mdn::FittedModel model = mdn::model_from_state(state, args.text("model"));
  Table table = read_data(args);
  require_model_columns(table, model, args.text("model"), false);
  use_columns(table, model.x_names, args);
  const Tensor x = table.matrix(model.x_names);
  const std::vector<double> s = model.sample(x, count, gen, options).to_vector<double>();
  const std::vector<double> xs = x.to_vector<double>();
  const auto n = static_cast<std::size_t>(x.size(0)), in = model.x_names.size(),
             d = model.y_names.size(), per = static_cast<std::size_t>(count);

  std::vector<std::string> header{"row", "sample"};
  header.insert(header.end(), model.x_names.begin(), model.x_names.end());
  header.insert(header.end(), model.y_names.begin(), model.y_names.end());
  std::vector<std::vector<double>> rows;
  for (std::size_t b = 0; b < n; ++b)
    for (std::size_t j = 0; j < per; ++j) {
      std::vector<double> row{static_cast<double>(table.file_row(static_cast<std::int64_t>(b))),
                              static_cast<double>(j)};
      for (std::size_t i = 0; i < in; ++i)
        row.push_back(xs[b * in + i]);
      for (std::size_t i = 0; i < d; ++i)
        row.push_back(s[(b * per + j) * d + i]);
      rows.push_back(std::move(row));
    }
  write_csv(args.text("out"), header, rows);
  return 0;
}

} // namespace tapegrad::examples
