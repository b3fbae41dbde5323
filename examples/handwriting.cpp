// handwriting: pen strokes from an LSTM-MDN, as Graves (2013) generates handwriting, sampled at
// three temperatures side by side.
//
// The strokes come from a generator written here: a "line of writing" is a few glyphs, each a
// Lissajous-like curve x = A sin(a s + d), y = B sin(b s) over part or all of a turn (a circle, a
// figure eight, a "c" or "u"), slanted, of random size, sometimes crossed by a short bar, with the
// pen lifted between strokes and a little jitter. As in Graves's data, each step is the offset
// (dx, dy) from the previous point and an end-of-stroke bit e (the pen lifts after this point).
//
// The model reads the previous step (dx, dy, e) and predicts the next one: a mixture of bivariate
// Gaussians with correlation (the full noise model, mdn/bivariate.hpp) for (dx, dy), and a
// Bernoulli for e. Generation feeds each draw back as the next input; the temperature tau sharpens
// the choice of component and the end-of-stroke bit, tau_sigma the Gaussians.
#include "common/csv.hpp"
#include "common/example.hpp"
#include "common/io.hpp"
#include "common/svg.hpp"

#include <mdn/bivariate.hpp>
#include <mdn/sequence_sampling.hpp>
#include <mdn/sequence_train.hpp>

#include <fmt/format.h>

#include <cmath>
#include <memory>
#include <numbers>

using namespace tapegrad;
using namespace tapegrad::examples;

namespace {

constexpr double kTemperatures[] = {0.2, 0.6, 1.0};

struct Stroke {
  std::vector<double> x, y;
};

// One glyph's curve: x = A sin(a s + d), y = B sin(b s), s over `turn` of a full turn.
struct Shape {
  int a, b;
  double d, turn;
};
constexpr Shape kShapes[] = {{1, 1, std::numbers::pi / 2, 1.0},  // an ellipse, an "o"
                             {1, 2, std::numbers::pi / 2, 1.0},  // a figure eight
                             {1, 1, std::numbers::pi / 2, 0.6},  // a "c"
                             {1, 1, 0.0, 0.5},                   // a "u" turned over
                             {2, 1, 0.0, 1.0},                   // an "8" on its side
                             {1, 3, std::numbers::pi / 2, 0.85}, // a squiggle
                             {3, 2, std::numbers::pi / 2, 0.5}}; // a loop and a tail

// A line of `glyphs` glyphs written left to right, in pen coordinates.
std::vector<Stroke> write_line(Generator& gen, int glyphs) {
  std::vector<Stroke> strokes;
  double left = 0;
  const double slant = 0.15 + 0.2 * gen.uniform();
  for (int g = 0; g < glyphs; ++g) {
    const Shape& shape = kShapes[gen.below(std::size(kShapes))];
    const double width = 0.35 * (0.8 + 0.4 * gen.uniform()),
                 height = 0.55 * (0.8 + 0.4 * gen.uniform());
    const double centre = left + width;
    const int points = 14 + 5 * std::max(shape.a, shape.b);
    Stroke s;
    for (int i = 0; i < points; ++i) {
      const double t = 2 * std::numbers::pi * shape.turn * i / (points - 1);
      const double y = height * std::sin(shape.b * t);
      s.x.push_back(centre + width * std::sin(shape.a * t + shape.d) + slant * y);
      s.y.push_back(y);
    }
    strokes.push_back(s);
    if (gen.uniform() < 0.25) { // a bar across the top, a second stroke
      Stroke bar;
      for (int i = 0; i < 6; ++i) {
        bar.x.push_back(centre - 0.3 + 0.12 * i + slant * (height + 0.15));
        bar.y.push_back(height + 0.15);
      }
      strokes.push_back(bar);
    }
    left += 2 * width + 0.25 + 0.15 * gen.uniform();
  }
  return strokes;
}

// Offsets from point to point, [steps, 2], and the end-of-stroke bits, [steps]; the first offset
// is from the origin. Each point is jittered by N(0, 0.01^2).
std::pair<Tensor, Tensor> to_offsets(const std::vector<Stroke>& strokes, Generator& gen) {
  std::vector<double> offsets, bits;
  double px = 0, py = 0;
  for (const Stroke& s : strokes)
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      const double x = s.x[i] + 0.01 * gen.normal(), y = s.y[i] + 0.01 * gen.normal();
      offsets.insert(offsets.end(), {x - px, y - py});
      bits.push_back(i + 1 == s.x.size() ? 1.0 : 0.0);
      px = x;
      py = y;
    }
  const auto steps = static_cast<std::int64_t>(bits.size());
  return {from_vector(offsets, {steps, 2}, kFloat32), from_vector(bits, {steps}, kFloat32)};
}

// Offsets and bits back to strokes: running sums, cut after every end of stroke.
std::vector<Stroke> to_strokes(const std::vector<double>& offsets,
                               const std::vector<double>& bits) {
  std::vector<Stroke> strokes(1);
  double x = 0, y = 0;
  for (std::size_t t = 0; t < bits.size(); ++t) {
    x += offsets[2 * t];
    y += offsets[2 * t + 1];
    strokes.back().x.push_back(x);
    strokes.back().y.push_back(y);
    if (bits[t] == 1.0 && t + 1 < bits.size())
      strokes.emplace_back();
  }
  return strokes;
}

// Lines of strokes one under the other, at the same scale along both axes.
Plot draw_lines(const std::string& title, const std::vector<std::vector<Stroke>>& lines,
                const std::string& colour) {
  constexpr double spacing = 1.9, plot_width = 550, plot_height = 350; // svg.cpp's plot area
  double right = 1;
  for (const auto& line : lines)
    for (const Stroke& s : line)
      for (double x : s.x)
        right = std::max(right, x);
  const double height = spacing * static_cast<double>(lines.size());
  const double width = std::max(right + 0.5, height * plot_width / plot_height);
  Plot plot(title, "", "", {-0.5, width - 0.5}, {-width * plot_height / plot_width + 1.2, 1.2});
  for (std::size_t l = 0; l < lines.size(); ++l)
    for (const Stroke& s : lines[l]) {
      std::vector<double> y = s.y;
      for (double& v : y)
        v -= spacing * static_cast<double>(l);
      plot.line(s.x, y, colour, "", 1.6);
    }
  return plot;
}

// Several plots in one SVG file, side by side.
void save_side_by_side(const std::string& path, const std::vector<Plot>& plots) {
  constexpr int width = 900, height = 460;
  std::string out = fmt::format(
      R"(<svg xmlns="http://www.w3.org/2000/svg" width="{0}" height="{1}" viewBox="0 0 {0} {1}">)",
      width * static_cast<int>(plots.size()), height);
  out += "\n";
  for (std::size_t i = 0; i < plots.size(); ++i) {
    std::string panel = plots[i].render();
    panel.replace(0, 4, fmt::format(R"(<svg x="{}" y="0")", static_cast<int>(i) * width));
    out += panel;
    if (out.back() != '\n')
      out += "\n";
  }
  write_file_atomic(path, out + "</svg>\n");
}

} // namespace

int main(int argc, char** argv) {
  return example_main(
      argc, argv, "handwriting",
      "Pen strokes from an LSTM-MDN (bivariate Gaussians with correlation and an end-of-stroke "
      "bit, as Graves 2013), sampled at three temperatures side by side.",
      [](const ExampleRun& run) {
        const std::int64_t lines = run.fast ? 16 : 384, held_out = run.fast ? 8 : 64;
        Generator gen(run.seed);
        std::vector<std::vector<Stroke>> written;
        std::vector<Tensor> offsets, bits;
        for (std::int64_t i = 0; i < lines + held_out; ++i) {
          written.push_back(write_line(gen, 4 + static_cast<int>(gen.below(3))));
          auto [o, e] = to_offsets(written.back(), gen);
          offsets.push_back(o);
          bits.push_back(e);
        }
        // Offsets standardised with the training lines' statistics (as Graves normalises them).
        const mdn::Standardizer scale = mdn::Standardizer::fit(
            cat(std::vector<Tensor>(offsets.begin(), offsets.begin() + lines), 0));
        std::vector<Tensor> standard;
        for (const Tensor& o : offsets)
          standard.push_back(scale.apply(o));
        const auto split = [&](std::int64_t from, std::int64_t to) {
          return mdn::autoregressive_sequences(
              std::vector<Tensor>(standard.begin() + from, standard.begin() + to),
              std::vector<Tensor>(bits.begin() + from, bits.begin() + to));
        };
        const mdn::SequenceData train = split(0, lines), test = split(lines, lines + held_out);

        Generator init(run.seed + 1);
        auto model = std::make_shared<mdn::SequenceMDN>(
            mdn::SequenceMDNOptions{.in_features = 3,
                                    .out_dim = 2,
                                    .components = run.fast ? 3 : 8,
                                    .rnn = mdn::RnnKind::LSTM,
                                    .hidden = run.fast ? 16 : 96,
                                    .noise = mdn::NoiseModel::Full,
                                    .end_of_stroke = true},
            init);
        mdn::SequenceTrainOptions options{.epochs = run.fast ? 6 : 40,
                                          .batch_size = 32,
                                          .bptt = 100,
                                          .lr = 0.005,
                                          .patience = 10,
                                          .seed = run.seed};
        options.on_epoch = [](const mdn::EpochReport& r) {
          fmt::print(stderr, "handwriting: epoch {}: train NLL {:.3f}, held-out NLL {:.3f}\n",
                     r.epoch, r.train_nll, r.val_nll);
        };
        const mdn::TrainResult result = mdn::train_sequences(*model, train, test, options);
        fmt::print("held-out NLL per step {:.3f} nats (standardised offsets and the end-of-stroke "
                   "bit), best epoch {}\n",
                   result.best_val_nll, result.best_epoch);
        // How correlated the bivariate Gaussians came out, on the held-out lines.
        const mdn::BivariateParameters b =
            mdn::bivariate_parameters(model->mixtures(test.x, {}, test.mask).mixture);
        const std::vector<double> rho = b.rho.to_vector<double>();
        double mean_abs_rho = 0;
        for (double r : rho)
          mean_abs_rho += std::abs(r) / static_cast<double>(rho.size());
        fmt::print("mean |rho| of the components: {:.3f}\n", mean_abs_rho);

        const std::string dir = run.out.string() + "/";
        std::vector<std::vector<double>> rows;
        for (std::int64_t i = 0; i < lines; ++i) {
          const std::vector<double> o = offsets[static_cast<std::size_t>(i)].to_vector<double>();
          const std::vector<double> e = bits[static_cast<std::size_t>(i)].to_vector<double>();
          for (std::size_t t = 0; t < e.size(); ++t)
            rows.push_back({static_cast<double>(i), o[2 * t], o[2 * t + 1], e[t]});
        }
        write_csv(dir + "data.csv", {"line", "dx", "dy", "end_of_stroke"}, rows);

        constexpr std::int64_t per_panel = 3, steps = 200;
        std::vector<Plot> panels;
        rows.clear();
        Generator draws(run.seed + 1000);
        for (const double tau : kTemperatures) {
          const mdn::SequenceSample s =
              mdn::sample_sequences(*model, per_panel, steps, draws, {tau, tau});
          std::vector<std::vector<Stroke>> drawn;
          for (std::int64_t i = 0; i < per_panel; ++i) {
            const std::vector<double> o =
                scale.invert(s.y.slice(0, i, i + 1).reshape({steps, 2})).to_vector<double>();
            const std::vector<double> e = s.eos.slice(0, i, i + 1).to_vector<double>();
            drawn.push_back(to_strokes(o, e));
            for (std::int64_t t = 0; t < steps; ++t)
              rows.push_back({tau, static_cast<double>(i), static_cast<double>(t),
                              o[static_cast<std::size_t>(2 * t)],
                              o[static_cast<std::size_t>(2 * t + 1)],
                              e[static_cast<std::size_t>(t)]});
          }
          Plot panel = draw_lines(fmt::format("Sampled at temperature {}", tau), drawn, kBlack);
          panel.subtitle(fmt::format("tau = tau_sigma = {}: {}", tau,
                                     tau < 0.5   ? "the most probable strokes, neat"
                                     : tau < 1.0 ? "some variety"
                                                 : "the model as it is"));
          panels.push_back(std::move(panel));
        }
        write_csv(dir + "samples.csv", {"temperature", "sample", "t", "dx", "dy", "end_of_stroke"},
                  rows);
        save_side_by_side(dir + "samples.svg", panels);
        const std::vector<std::vector<Stroke>> examples(written.begin(),
                                                        written.begin() + per_panel);
        draw_lines("Training lines from the generator", examples, kBlue).save(dir + "training.svg");
      });
}
