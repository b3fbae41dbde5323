// robot_arm: Bishop's (1994) two-link arm, inverse kinematics.
//
//   forward:  (x1, x2) = L1 (cos th1, sin th1) - L2 (cos(th1 + th2), sin(th1 + th2))
//             L1 = 0.8, L2 = 0.2, th1 ~ U(0.3, 1.2), th2 ~ U(pi/2, 3 pi/2)
//   inverse:  the joint angles (th1, th2) that put the hand at (x1, x2)
//
// Most positions are reached by two arms, elbow up and elbow down. A least-squares network
// learns the average of the two pairs of angles, which puts the hand somewhere else; an MDN with
// a 2-D output learns both solutions, and its most probable one, pushed back through the forward
// kinematics, lands on the target.
#include "common/csv.hpp"
#include "common/example.hpp"
#include "common/figures.hpp"

#include <mdn/metrics.hpp>

#include <fmt/format.h>

#include <cmath>
#include <numbers>

using namespace tapegrad;
using namespace tapegrad::examples;

namespace {

constexpr double kPi = std::numbers::pi;

// The root mean square distance between the hand positions [n, 2] of two sets of angles.
double reach_error(const Tensor& angles, const Tensor& target) {
  return rmse(arm_forward(angles), target) * std::sqrt(2.0);
}

// The other arm that reaches the same point: mirrored in the line from the shoulder to the hand.
std::pair<double, double> elbow_flip(double x1, double x2, double th1, double th2) {
  return {2 * std::atan2(x2, x1) - th1, 2 * kPi - th2};
}

} // namespace

int main(int argc, char** argv) {
  return example_main(
      argc, argv, "robot_arm",
      "Bishop's two-link robot arm: joint angles from the hand position, an MDN beside a "
      "least-squares network of the same size.",
      [](const ExampleRun& run) {
        const Dataset train = robot_arm(1000, run.seed);
        const Dataset val = robot_arm(300, run.seed + 1);
        const Dataset test = robot_arm(2000, run.seed + 2);

        FitSettings settings;
        settings.y_name = "theta1, theta2";
        settings.model = {.components = 4, .hidden = {32, 32}, .noise = mdn::NoiseModel::Diagonal};
        settings.train = {.epochs = run.epochs(800), .batch_size = 100, .lr = 0.005};
        settings.train.seed = run.seed;
        settings.seed = run.seed;
        const mdn::FittedModel mdn = fit_mdn(train.x, train.y, val.x, val.y, settings);
        const FittedMSE ls = fit_mse(train.x, train.y, val.x, val.y, {32, 32}, nn::Activation::Tanh,
                                     settings.train, run.seed);

        const mdn::Mixture mixture = mdn.mixture(test.x);
        const mdn::Metrics m = mdn::evaluate(mixture, test.y);
        const Tensor top = mdn::most_probable_mean(mixture);
        const Tensor mode = mdn::mixture_mode(mixture);
        const Tensor ls_angles = ls.predict(test.x);
        const double ls_rmse = rmse(ls_angles, test.y);
        // The least-squares net as a density: an isotropic Gaussian around its prediction.
        const double ls_nll = 2 * (0.5 * std::log(2 * kPi * ls_rmse * ls_rmse) + 0.5);
        const double mdn_reach = reach_error(top, test.x),
                     ls_reach = reach_error(ls_angles, test.x);
        fmt::print(
            "held-out NLL of the angles (nats per point): MDN {:.3f}, least-squares net as a "
            "Gaussian {:.3f}\n",
            m.nll, ls_nll);
        fmt::print("RMS distance from the target of the hand placed by the MDN's most probable "
                   "solution {:.4f} (by its mode {:.4f}, by its mean {:.4f}); by the least-squares "
                   "net {:.4f}\n",
                   mdn_reach, reach_error(mode, test.x),
                   reach_error(mdn::mixture_mean(mixture), test.x), ls_reach);

        const std::string dir = run.out.string() + "/";
        const std::vector<double> x1 = column(train.x, 0), x2 = column(train.x, 1);
        const std::vector<double> t1 = column(train.y, 0), t2 = column(train.y, 1);
        std::vector<std::vector<double>> rows;
        for (std::size_t i = 0; i < x1.size(); ++i)
          rows.push_back({x1[i], x2[i], t1[i], t2[i]});
        write_csv(dir + "data.csv", {"x1", "x2", "theta1", "theta2"}, rows);

        // Predictions on the held-out targets, and where each puts the hand.
        const std::vector<double> tx1 = column(test.x, 0), tx2 = column(test.x, 1);
        const Tensor top_hand = arm_forward(top), ls_hand = arm_forward(ls_angles);
        const std::vector<double> m1 = column(top, 0), m2 = column(top, 1);
        const std::vector<double> mh1 = column(top_hand, 0), mh2 = column(top_hand, 1);
        const std::vector<double> l1 = column(ls_angles, 0), l2 = column(ls_angles, 1);
        const std::vector<double> lh1 = column(ls_hand, 0), lh2 = column(ls_hand, 1);
        rows.clear();
        for (std::size_t i = 0; i < tx1.size(); ++i)
          rows.push_back(
              {tx1[i], tx2[i], m1[i], m2[i], mh1[i], mh2[i], l1[i], l2[i], lh1[i], lh2[i]});
        write_csv(dir + "predictions.csv",
                  {"x1", "x2", "mdn_theta1", "mdn_theta2", "mdn_x1", "mdn_x2", "ls_theta1",
                   "ls_theta2", "ls_x1", "ls_x2"},
                  rows);

        // Samples: one per held-out target.
        Generator gen(run.seed + 1000);
        const Tensor drawn = mdn::sample(mixture, 1, gen).reshape({-1, 2});
        const Tensor drawn_hand = arm_forward(drawn);
        const std::vector<double> s1 = column(drawn, 0), s2 = column(drawn, 1);
        const std::vector<double> sh1 = column(drawn_hand, 0), sh2 = column(drawn_hand, 1);
        rows.clear();
        for (std::size_t i = 0; i < tx1.size(); ++i)
          rows.push_back({tx1[i], tx2[i], s1[i], s2[i], sh1[i], sh2[i]});
        write_csv(dir + "samples.csv", {"x1", "x2", "theta1", "theta2", "hand_x1", "hand_x2"},
                  rows);

        // The workspace: where each network puts the hand for 400 held-out targets.
        constexpr std::size_t shown = 400;
        const auto first = [&](const std::vector<double>& v) {
          return std::vector<double>(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(shown));
        };
        // Positions in the plane: a unit as long on both axes, so that the arm's reach is round.
        Range wx = range_of(x1, 0.1), wy = range_of(x2, 0.1);
        equal_aspect(wx, wy);
        Plot workspace("Robot arm: where the hand lands", "x1", "x2", wx, wy);
        workspace.scatter(first(tx1), first(tx2), kGrey, "target", 3.6, 0.3);
        workspace.scatter(first(lh1), first(lh2), kRed, "least-squares net", 2.0, 0.7,
                          Marker::Cross);
        workspace.scatter(first(mh1), first(mh2), kBlue, "MDN, most probable solution", 1.6, 0.8,
                          Marker::Square);
        workspace.subtitle(
            fmt::format("RMS distance to the target: MDN {:.4f}, least-squares net {:.4f}",
                        mdn_reach, ls_reach));
        workspace.save(dir + "workspace.svg");

        // The joint-angle space: for a few targets that two arms reach, the MDN's samples sit on
        // both solutions while the least-squares net answers between them.
        // Both angles in radians: a unit as long on both axes.
        Range ax{0.3 - 0.05, 1.2 + 0.05}, ay{kPi / 2 - 0.1, 3 * kPi / 2 + 0.1};
        equal_aspect(ax, ay);
        Plot angles("Robot arm: joint angles for five targets", "theta1 (radians)",
                    "theta2 (radians)", ax, ay);
        angles.scatter(t1, t2, "#bbbbbb", "training data", 1.4, 0.5);
        const std::vector<double> y1 = column(test.y, 0), y2 = column(test.y, 1);
        std::vector<std::size_t> picked;
        for (std::size_t i = 0; i < tx1.size() && picked.size() < 5; ++i) {
          const auto [f1, f2] = elbow_flip(tx1[i], tx2[i], y1[i], y2[i]);
          if (f1 > 0.35 && f1 < 1.15 && std::abs(f2 - y2[i]) > 1.0)
            picked.push_back(i);
        }
        Generator pick_gen(run.seed + 2000);
        for (std::size_t p = 0; p < picked.size(); ++p) {
          const std::size_t i = picked[p];
          const Tensor row =
              test.x.slice(0, static_cast<std::int64_t>(i), static_cast<std::int64_t>(i) + 1);
          const Tensor many = mdn::sample(mdn.mixture(row), 40, pick_gen).reshape({-1, 2});
          const char* colour = series_colour(p);
          angles.scatter(column(many, 0), column(many, 1), colour,
                         p == 0 ? "MDN samples (a colour per target)" : "", 2.0, 0.6);
          const auto [f1, f2] = elbow_flip(tx1[i], tx2[i], y1[i], y2[i]);
          angles.weighted_circles({y1[i], f1}, {y2[i], f2}, {1.0, 1.0}, colour,
                                  p == 0 ? "the two exact solutions" : "");
          angles.scatter({l1[i]}, {l2[i]}, colour, p == 0 ? "least-squares net" : "", 6.0, 0.95,
                         Marker::Diamond);
        }
        angles.save(dir + "angles.svg");

        Plot loss =
            loss_plot("Robot arm: MDN training and validation NLL", mdn.result, "theta1, theta2");
        loss.save(dir + "loss.svg");
      });
}
