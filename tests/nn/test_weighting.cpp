// Task-weighting strategies: the paper's dynamic weights (L4), the naive baseline, the fixed
// baselines and the three literature strategies, each checked against hand-computed values or
// the behaviour the paper describes.
#include "nn/dwa_weighting.h"
#include "nn/dynamic_weighting.h"
#include "nn/fixed_weighting.h"
#include "nn/gradnorm_weighting.h"
#include "nn/naive_weighting.h"
#include "nn/uncertainty_weighting.h"
#include "nn/weighting_strategy.h"

#include <torch/torch.h>

#include <cmath>
#include <sstream>

#include <QtTest/QtTest>

using namespace carilab::nn;

namespace {

constexpr std::int64_t kFeatureDim = 32;
constexpr std::int64_t kBatch = 8;

OptimizerSpec spec(const std::string& kind, double lr)
{
    OptimizerSpec s;
    s.kind = parseOptimizerKind(kind);
    s.lr = lr;
    return s;
}

StrategyOptions dynamicOptions(double temperature = 1.0, bool normalizeLogits = true, bool detachWeights = true)
{
    StrategyOptions o;
    o.name = "dynamic";
    o.temperature = temperature;
    o.normalizeLogits = normalizeLogits;
    o.detachWeights = detachWeights;
    return o;
}

torch::Tensor lossTensor(const QList<double>& values) { return torch::tensor(std::vector<double>(values.begin(), values.end()), torch::kFloat); }

// One training step in the trainer's order (weighting_strategy.h): forward, zero grads,
// networkLoss.backward(), update().
StrategyOutput trainStep(WeightingStrategy& strategy, const StrategyInputs& in)
{
    StrategyOutput out = strategy.forward(in);
    strategy.zeroGrad();
    if (out.networkLoss.requires_grad()) out.networkLoss.backward();
    strategy.update(out, in);
    return out;
}

std::vector<double> toVector(const torch::Tensor& t)
{
    const torch::Tensor c = t.detach().to(torch::kCPU, torch::kDouble).contiguous();
    return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

bool near(double a, double b, double tol) { return std::abs(a - b) <= tol; }

// A tiny shared layer W and three heads: Z = tanh(x W), L_i = softplus(Z h_i) averaged, so Z
// and every L_i depend on W (theta) and GradNorm has a real last shared layer.
struct ToyNet {
    torch::Tensor w;
    torch::Tensor heads;
    ToyNet()
    {
        w = (torch::randn({16, kFeatureDim}) * 0.3).requires_grad_();
        heads = torch::randn({kFeatureDim, kNumTasks});
    }
    StrategyInputs inputs(const torch::Tensor& x, std::int64_t step = 0, std::int64_t batchesPerEpoch = 1) const
    {
        StrategyInputs in;
        in.sharedFeatures = torch::tanh(x.mm(w));
        in.losses = torch::softplus(in.sharedFeatures.mm(heads)).mean(0) * torch::tensor({1.0f, 2.0f, 0.5f});
        in.lastSharedParams = {w};
        in.step = step;
        in.batchesPerEpoch = batchesPerEpoch;
        return in;
    }
};

}  // namespace

class TestWeighting final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { torch::set_num_threads(1); }

    void dynamicWeightsFollowLosses_data();
    void dynamicWeightsFollowLosses();
    void dynamicGradientSeparation();
    void dynamicTrainerOrderDropsNetworkGradsFromPsi();
    void rawLogitsSaturate();
    void naiveStarvesHardestTask_data();
    void naiveStarvesHardestTask();
    void uncertaintyHandComputedStep();
    void gradnormHandComputedSteps();
    void dwaEpochWeights();
    void fixedWeights_data();
    void fixedWeights();
    void parseGoodNames_data();
    void parseGoodNames();
    void parseBadNames_data();
    void parseBadNames();
    void factoryAndOptimizerErrors();
    void normalizedWeightsGuards();
    void saveLoadRoundTrip_data();
    void saveLoadRoundTrip();
    void setLearningRateReachesOptimizer();
    void toyReproductionTracksHardestTask_data();
    void toyReproductionTracksHardestTask();
};

// Paper Sec. IV (VI): minimising L4 gives the larger loss the larger weight.
void TestWeighting::dynamicWeightsFollowLosses_data()
{
    QTest::addColumn<QList<double>>("losses");
    QTest::addColumn<double>("temperature");
    QTest::addColumn<QString>("optimizer");
    const QList<QList<double>> lossSets = {{0.5, 3.0, 1.0}, {4.0, 1.0, 2.0}, {1.0, 2.0, 6.0}, {0.2, 0.05, 0.1}};
    for (const auto& l : lossSets)
        for (double t : {1.0, 2.0})
            for (const char* opt : {"adam", "rmsprop"}) {
                const QString label = QStringLiteral("L=%1,%2,%3 T=%4 %5").arg(l[0]).arg(l[1]).arg(l[2]).arg(t).arg(QLatin1String(opt));
                QTest::newRow(qPrintable(label)) << l << t << QString::fromLatin1(opt);
            }
}

void TestWeighting::dynamicWeightsFollowLosses()
{
    QFETCH(QList<double>, losses);
    QFETCH(double, temperature);
    QFETCH(QString, optimizer);
    at::manual_seed(11);
    DynamicWeighting strategy(dynamicOptions(temperature), kFeatureDim, spec(optimizer.toStdString(), 0.05));
    StrategyInputs in;
    in.sharedFeatures = torch::randn({kBatch, kFeatureDim});
    in.losses = lossTensor(losses);
    for (int i = 0; i < 200; ++i) trainStep(strategy, in);
    const torch::Tensor w = strategy.forward(in).weights;
    QCOMPARE(w.argmax().item<int64_t>(), in.losses.argmax().item<int64_t>());
    QCOMPARE(w.argmin().item<int64_t>(), in.losses.argmin().item<int64_t>());
    QVERIFY(near(w.sum().item<double>(), 1.0, 1e-5));
}

// Z and L come from theta; psi must never get gradient from networkLoss (w detached) and theta
// never from L4.
void TestWeighting::dynamicGradientSeparation()
{
    at::manual_seed(3);
    ToyNet net;
    const torch::Tensor x = torch::randn({kBatch, 16});

    at::manual_seed(5);
    DynamicWeighting detached(dynamicOptions(1.0, true, /*detachWeights=*/true), kFeatureDim, spec("adam", 0.01));
    at::manual_seed(5);
    DynamicWeighting attached(dynamicOptions(1.0, true, /*detachWeights=*/false), kFeatureDim, spec("adam", 0.01));

    // Detached weights (paper): networkLoss reaches theta only.
    StrategyInputs in = net.inputs(x);
    StrategyOutput out = detached.forward(in);
    detached.zeroGrad();
    out.networkLoss.backward();
    for (const auto& p : detached.parameters()) QVERIFY(!p.grad().defined() || p.grad().abs().max().item<double>() == 0.0);
    QVERIFY(net.w.grad().defined());
    const torch::Tensor thetaGradDetached = net.w.grad().clone();
    QVERIFY(thetaGradDetached.abs().max().item<double>() > 0.0);

    // L4 reaches psi only.
    const auto l4Theta = torch::autograd::grad({out.strategyLoss}, {net.w}, {}, /*retain_graph=*/true,
                                               /*create_graph=*/false, /*allow_unused=*/true);
    QVERIFY(!l4Theta[0].defined() || l4Theta[0].abs().max().item<double>() == 0.0);
    const auto l4Psi = torch::autograd::grad({out.strategyLoss}, detached.parameters(), {}, /*retain_graph=*/true);
    QVERIFY(l4Psi[0].abs().max().item<double>() > 0.0);
    net.w.grad().zero_();
    detached.update(out, in);
    QCOMPARE(net.w.grad().abs().max().item<double>(), 0.0);  // update()'s L4.backward left theta alone

    // Official (not detached): theta also gets d/dtheta through w(Z(theta)), so its gradient differs.
    in = net.inputs(x);
    out = attached.forward(in);
    attached.zeroGrad();
    net.w.grad().zero_();
    out.networkLoss.backward();
    const torch::Tensor thetaGradAttached = net.w.grad().clone();
    QVERIFY((thetaGradAttached - thetaGradDetached).abs().max().item<double>() > 1e-6);
    // ... and its forward value is the same loss (same psi, same Z).
    QVERIFY(near(out.networkLoss.item<double>(), (out.weights * in.losses.detach()).sum().item<double>(), 1e-6));
}

// With w not detached, networkLoss.backward() fills psi's grads; update() must discard them and
// train psi with dL4/dpsi alone.
void TestWeighting::dynamicTrainerOrderDropsNetworkGradsFromPsi()
{
    at::manual_seed(4);
    ToyNet net;
    const torch::Tensor x = torch::randn({kBatch, 16});
    DynamicWeighting strategy(dynamicOptions(1.0, true, /*detachWeights=*/false), kFeatureDim, spec("sgd", 0.0));
    const StrategyInputs in = net.inputs(x);
    const StrategyOutput out = strategy.forward(in);
    strategy.zeroGrad();
    out.networkLoss.backward();
    const auto params = strategy.parameters();
    QVERIFY(params[0].grad().defined() && params[0].grad().abs().max().item<double>() > 0.0);
    const auto expected = torch::autograd::grad({out.strategyLoss}, params, {}, /*retain_graph=*/true);
    double norm2 = 0.0;
    for (const auto& g : expected) norm2 += g.pow(2).sum().item<double>();
    QVERIFY(std::sqrt(norm2) < 5.0);  // below the clip, so update() leaves the gradient as is
    strategy.update(out, in);
    for (std::size_t i = 0; i < params.size(); ++i) QVERIFY(torch::allclose(params[i].grad(), expected[i], /*rtol=*/1e-6, /*atol=*/1e-8));
}

// The failure mode of un-normalised logits: L4 is minimised by a one-hot w, so the weight of the
// largest loss runs to 1; the official per-sample L2 normalisation bounds it (T = 1: <= 0.63).
void TestWeighting::rawLogitsSaturate()
{
    at::manual_seed(21);
    StrategyInputs in;
    // Z >= 0 like the real Z (Mixed_7a is a post-ReLU map), on a larger scale.
    in.sharedFeatures = torch::relu(torch::randn({kBatch, kFeatureDim})) * 2.0;
    in.losses = torch::tensor({0.5f, 3.0f, 1.0f});

    at::manual_seed(22);
    DynamicWeighting raw(dynamicOptions(1.0, /*normalizeLogits=*/false), kFeatureDim, spec("adam", 0.05));
    at::manual_seed(22);
    DynamicWeighting normalised(dynamicOptions(1.0, /*normalizeLogits=*/true), kFeatureDim, spec("adam", 0.05));
    QVERIFY(raw.forward(in).weights.max().item<double>() < 0.6);  // not saturated at the start
    for (int i = 0; i < 100; ++i) {
        trainStep(raw, in);
        trainStep(normalised, in);
    }
    const double rawMax = raw.forward(in).weights.max().item<double>();
    // every sample's softmax is saturated (one-hot): L4's gradient through it has vanished
    const double leastSaturated = raw.module()->sampleWeights(in.sharedFeatures).amax(1).min().item<double>();
    QVERIFY2(leastSaturated > 0.95, qPrintable(QString::number(leastSaturated)));
    const torch::Tensor wn = normalised.forward(in).weights;
    QVERIFY2(rawMax > 0.95, qPrintable(QStringLiteral("raw max weight %1").arg(rawMax)));
    QVERIFY2(wn.max().item<double>() < 0.75, qPrintable(QStringLiteral("normalised max %1").arg(wn.max().item<double>())));
    QCOMPARE(wn.argmax().item<int64_t>(), int64_t{1});  // bounded, but still on the largest loss
}

// Paper Fig. 3 (b, d): psi trained by sum_i w_i L_i starves the hardest task.
void TestWeighting::naiveStarvesHardestTask_data()
{
    QTest::addColumn<double>("temperature");
    QTest::newRow("T=0.5 (official naive)") << 0.5;
    QTest::newRow("T=1") << 1.0;
}

void TestWeighting::naiveStarvesHardestTask()
{
    QFETCH(double, temperature);
    at::manual_seed(31);
    StrategyOptions o = dynamicOptions(temperature);
    o.name = "naive";
    NaiveWeighting strategy(o, kFeatureDim, spec("adam", 0.05));
    StrategyInputs in;
    in.sharedFeatures = torch::randn({kBatch, kFeatureDim});
    in.losses = torch::tensor({0.5f, 3.0f, 1.0f}).requires_grad_();  // as if attached to theta
    const double initial = strategy.forward(in).weights[1].item<double>();
    for (int i = 0; i < 200; ++i) trainStep(strategy, in);
    const torch::Tensor w = strategy.forward(in).weights;
    QVERIFY2(w[1].item<double>() < initial, qPrintable(QStringLiteral("hardest weight %1 -> %2").arg(initial).arg(w[1].item<double>())));
    QCOMPARE(w.argmin().item<int64_t>(), int64_t{1});
}

// Kendall et al.: networkLoss = sum exp(-s_i) L_i + s_i/2; s trained by it (SGD, Nesterov 0.9:
// the first step is s -= lr * (g + 0.9 g) since the momentum buffer starts at g).
void TestWeighting::uncertaintyHandComputedStep()
{
    UncertaintyWeighting strategy(spec("sgd", 0.1));
    StrategyInputs in;
    in.losses = torch::tensor({1.0f, 2.0f, 3.0f});
    const StrategyOutput out = trainStep(strategy, in);
    QVERIFY(near(out.networkLoss.item<double>(), 6.0, 1e-5));
    QVERIFY(torch::allclose(out.weights, torch::ones({3})));
    // ds_i = -exp(-s_i) L_i + 1/2 = [-0.5, -1.5, -2.5]
    const std::vector<double> s = toVector(strategy.module()->logVariance);
    const double expected[3] = {0.1 * 1.9 * 0.5, 0.1 * 1.9 * 1.5, 0.1 * 1.9 * 2.5};
    for (int i = 0; i < 3; ++i) QVERIFY2(near(s[i], expected[i], 1e-6), qPrintable(QString::number(s[i])));
    const StrategyOutput next = strategy.forward(in);
    double total = 0.0;
    for (int i = 0; i < 3; ++i) total += std::exp(-expected[i]) * (i + 1) + expected[i] / 2;
    QVERIFY(near(next.networkLoss.item<double>(), total, 1e-5));
    QVERIFY(near(next.weights[2].item<double>(), std::exp(-expected[2]), 1e-6));
}

// GradNorm on L_i = a_i |W|^2 / 2 with W = (3, 4): dL_i/dW = a_i W, so g_i = 5 a_i.
void TestWeighting::gradnormHandComputedSteps()
{
    StrategyOptions o;
    o.name = "gradnorm";
    o.gradnormAlpha = 1.5;
    GradNormWeighting strategy(o, spec("sgd", 0.01));
    const torch::Tensor w = torch::tensor({3.0f, 4.0f}).requires_grad_();
    auto makeInputs = [&](std::array<double, 3> a) {
        StrategyInputs in;
        const torch::Tensor half = w.pow(2).sum() / 2;  // 12.5
        in.losses = torch::stack({half * a[0], half * a[1], half * a[2]});
        in.lastSharedParams = {w};
        return in;
    };

    // Step 1: w = 1, g = [5, 10, 15], r = 1, target = mean(G) = 10.
    StrategyInputs in = makeInputs({1, 2, 3});
    StrategyOutput out = strategy.forward(in);
    QVERIFY(near(out.networkLoss.item<double>(), 75.0, 1e-4));
    QVERIFY(near(out.strategyLoss.item<double>(), 10.0, 1e-5));  // |5-10| + |10-10| + |15-10|
    strategy.zeroGrad();
    out.networkLoss.backward();
    strategy.update(out, in);
    // dL/dw = sign(G - target) g = [-5, 0, 15]; Nesterov first step: w -= 0.01 * 1.9 * grad,
    // then clamp and rescale to sum 3.
    const double g1[3] = {-5.0, 0.0, 15.0};
    double w1[3], sum1 = 0.0;
    for (int i = 0; i < 3; ++i) sum1 += (w1[i] = 1.0 - 0.01 * 1.9 * g1[i]);
    for (double& v : w1) v *= 3.0 / sum1;
    std::vector<double> got = toVector(strategy.module()->weights);
    for (int i = 0; i < 3; ++i) QVERIFY2(near(got[i], w1[i], 1e-5), qPrintable(QString::number(got[i])));
    QVERIFY(near(got[0] + got[1] + got[2], 3.0, 1e-5));
    QVERIFY(torch::allclose(strategy.initialLosses(), torch::tensor({12.5f, 25.0f, 37.5f})));

    // Step 2: a = [0.5, 2, 6]: L = [6.25, 25, 75], L~ = [0.5, 1, 2], r = L~ / (7/6),
    // g = [2.5, 10, 30], G = w1 * g, target = mean(G) r^1.5.
    in = makeInputs({0.5, 2, 6});
    out = strategy.forward(in);
    const double g[3] = {2.5, 10.0, 30.0};
    const double r[3] = {0.5 / (7.0 / 6), 1.0 / (7.0 / 6), 2.0 / (7.0 / 6)};
    double G[3], meanG = 0.0;
    for (int i = 0; i < 3; ++i) meanG += (G[i] = w1[i] * g[i]) / 3;
    double lgrad = 0.0, grad2[3];
    for (int i = 0; i < 3; ++i) {
        const double target = meanG * std::pow(r[i], 1.5);
        lgrad += std::abs(G[i] - target);
        grad2[i] = (G[i] > target ? 1.0 : -1.0) * g[i];
    }
    QVERIFY2(near(out.strategyLoss.item<double>(), lgrad, 1e-4),
             qPrintable(QStringLiteral("%1 vs %2").arg(out.strategyLoss.item<double>()).arg(lgrad)));
    QVERIFY(near(out.networkLoss.item<double>(), w1[0] * 6.25 + w1[1] * 25 + w1[2] * 75, 1e-3));
    strategy.zeroGrad();
    out.networkLoss.backward();
    strategy.update(out, in);
    // Momentum: buf = 0.9 * g1 + grad2, step = grad2 + 0.9 * buf.
    double w2[3], sum2 = 0.0;
    for (int i = 0; i < 3; ++i) {
        const double buf = 0.9 * g1[i] + grad2[i];
        sum2 += (w2[i] = w1[i] - 0.01 * (grad2[i] + 0.9 * buf));
    }
    got = toVector(strategy.module()->weights);
    for (int i = 0; i < 3; ++i) QVERIFY2(near(got[i], w2[i] * 3.0 / sum2, 1e-5), qPrintable(QString::number(got[i])));
    QVERIFY(near(got[0] + got[1] + got[2], 3.0, 1e-5));
    QVERIFY(got[2] > w1[2]);  // the slowest-training task (largest L~) gained weight
}

// Liu et al. Eq. 7: w = 1 for the first two epochs, then 3 softmax(r / 2), r = L(t-1)/L(t-2).
void TestWeighting::dwaEpochWeights()
{
    StrategyOptions o;
    o.name = "dwa";
    DwaWeighting strategy(o);
    auto stepWith = [&](std::array<float, 3> l) {
        StrategyInputs in;
        in.losses = torch::tensor({l[0], l[1], l[2]});
        in.batchesPerEpoch = 2;
        return trainStep(strategy, in);
    };
    // Epoch 1 mean [2, 4, 6]; epoch 2 mean [1, 2, 6].
    const std::array<std::array<float, 3>, 4> firstTwoEpochs = {{{1, 4, 6}, {3, 4, 6}, {1, 3, 6}, {1, 1, 6}}};
    for (const auto& l : firstTwoEpochs) {
        const StrategyOutput out = stepWith(l);
        QVERIFY(torch::equal(out.weights, torch::ones({3})));
        QVERIFY(near(out.networkLoss.item<double>(), l[0] + l[1] + l[2], 1e-5));
    }
    QCOMPARE(strategy.completedEpochs(), int64_t{2});
    // r = [1/2, 2/4, 6/6] -> w = 3 exp(r/2) / sum
    const double e[3] = {std::exp(0.25), std::exp(0.25), std::exp(0.5)};
    const double z = e[0] + e[1] + e[2];
    StrategyOutput out = stepWith({2, 2, 2});
    for (int i = 0; i < 3; ++i) QVERIFY(near(out.weights[i].item<double>(), 3 * e[i] / z, 1e-6));
    QVERIFY(near(out.networkLoss.item<double>(), 2 * 3.0, 1e-5));
    out = stepWith({0, 2, 6});  // epoch 3 mean [1, 2, 4]
    QVERIFY(near(out.weights[0].item<double>(), 3 * e[0] / z, 1e-6));  // weights fixed within the epoch
    // Epoch 4: r = [1/1, 2/2, 4/6]
    const double f[3] = {std::exp(0.5), std::exp(0.5), std::exp(4.0 / 6 / 2)};
    out = stepWith({1, 1, 1});
    for (int i = 0; i < 3; ++i) QVERIFY(near(out.weights[i].item<double>(), 3 * f[i] / (f[0] + f[1] + f[2]), 1e-6));
}

void TestWeighting::fixedWeights_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("name");
    QTest::addColumn<QList<double>>("weights");
    QTest::newRow("equal") << "equal"
                           << "equal" << QList<double>{1.0 / 3, 1.0 / 3, 1.0 / 3};
    QTest::newRow("static official") << "static:0.55,0.30,0.15"
                                     << "static:0.55,0.3,0.15" << QList<double>{0.55, 0.30, 0.15};
    QTest::newRow("static raw") << "static: 55, 30 ,25"
                                << "static:55,30,25" << QList<double>{55, 30, 25};
    QTest::newRow("single verification") << "single:verification"
                                         << "single:verification" << QList<double>{1, 0, 0};
    QTest::newRow("single caricature") << "single:caricature"
                                       << "single:caricature" << QList<double>{0, 1, 0};
    QTest::newRow("single visual") << "single:visual"
                                   << "single:visual" << QList<double>{0, 0, 1};
}

void TestWeighting::fixedWeights()
{
    QFETCH(QString, text);
    QFETCH(QString, name);
    QFETCH(QList<double>, weights);
    const auto strategy = makeStrategy(parseStrategyName(text.toStdString()), kFeatureDim, spec("rmsprop", 0.1));
    QCOMPARE(QString::fromStdString(strategy->name()), name);
    QVERIFY(strategy->parameters().empty());
    StrategyInputs in;
    in.losses = torch::tensor({1.0f, 2.0f, 3.0f});
    const StrategyOutput out = trainStep(*strategy, in);
    for (int i = 0; i < 3; ++i) QVERIFY(near(out.weights[i].item<double>(), weights[i], 1e-6));
    QVERIFY(near(out.networkLoss.item<double>(), weights[0] + 2 * weights[1] + 3 * weights[2], 1e-4));
    QVERIFY(!out.strategyLoss.defined());
}

void TestWeighting::parseGoodNames_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("name");
    for (const char* n : {"dynamic", "naive", "equal", "uncertainty", "gradnorm", "dwa"})
        QTest::newRow(n) << QString::fromLatin1(n) << QString::fromLatin1(n);
    QTest::newRow("padded") << "  gradnorm\n"
                            << "gradnorm";
    QTest::newRow("static") << "static:0.55,0.30,0.15"
                            << "static:0.55,0.30,0.15";
    QTest::newRow("static zero part") << "static:0,1,0"
                                      << "static:0,1,0";
    QTest::newRow("single") << "single:caricature"
                            << "single:caricature";
}

void TestWeighting::parseGoodNames()
{
    QFETCH(QString, text);
    QFETCH(QString, name);
    const StrategyOptions o = parseStrategyName(text.toStdString());
    QCOMPARE(QString::fromStdString(o.name), name);
    // name stays parseable (config round trip) and builds a strategy
    QCOMPARE(QString::fromStdString(parseStrategyName(o.name).name), name);
    QVERIFY(makeStrategy(o, kFeatureDim, spec("rmsprop", 0.1)) != nullptr);
    if (name.startsWith(QLatin1String("static:0.55"))) {
        QCOMPARE(o.staticWeights[0], 0.55);
        QCOMPARE(o.staticWeights[2], 0.15);
    }
    if (name == QLatin1String("single:caricature")) QCOMPARE(o.singleTask, int(kCaricature));
}

void TestWeighting::parseBadNames_data()
{
    QTest::addColumn<QString>("text");
    for (const char* bad :
         {"", "dyn", "Dynamic", "static", "single", "static:", "static:1,2", "static:1,2,3,4", "static:-1,2,3", "static:0,0,0", "static:a,b,c",
          "static:1,2,inf", "static:nan,1,1", "static:1,,2", "static:1x,2,3", "single:", "single:face", "single:caricature,visual", "dynamic:2"})
        QTest::newRow(*bad ? bad : "(empty)") << QString::fromLatin1(bad);
}

void TestWeighting::parseBadNames()
{
    QFETCH(QString, text);
    try {
        parseStrategyName(text.toStdString());
        QFAIL("no exception");
    } catch (const std::invalid_argument& e) {
        const QString what = QString::fromUtf8(e.what());
        QVERIFY2(what.contains(QLatin1String("valid:")) || what.contains(QLatin1String("static")), e.what());
    }
    // makeStrategy reads options.name the same way (bare "static"/"single" are the exception
    // there: they use options.staticWeights / singleTask, set by code rather than text).
    if (text == QLatin1String("static") || text == QLatin1String("single")) return;
    StrategyOptions o;
    o.name = text.toStdString();
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, makeStrategy(o, kFeatureDim, spec("rmsprop", 0.1)));
}

void TestWeighting::factoryAndOptimizerErrors()
{
    const std::vector<std::string> names = strategyNames();
    QCOMPARE(names.size(), std::size_t{8});
    StrategyOptions o;
    o.name = "dynamic";
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, makeStrategy(o, 0, spec("rmsprop", 0.1)));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, makeStrategy(o, kFeatureDim, spec("lbfgs", 0.1)));
    o.temperature = 0.0;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, makeStrategy(o, kFeatureDim, spec("rmsprop", 0.1)));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, makeOptimizer(spec("adagrad", 0.1), {torch::zeros({1})}));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, makeOptimizer(spec("sgd", -1.0), {torch::zeros({1})}));
    for (const char* kind : {"rmsprop", "adam", "sgd"})
        QVERIFY(makeOptimizer(spec(kind, 0.1), {torch::zeros({1}, torch::requires_grad())}, 10.0) != nullptr);
    // A checkpoint of one strategy does not load into another.
    o = StrategyOptions{};
    const auto dynamic = makeStrategy(o, kFeatureDim, spec("rmsprop", 0.1));
    torch::serialize::OutputArchive archive;
    dynamic->save(archive);
    std::ostringstream bytes;
    archive.save_to(bytes);
    std::istringstream read(bytes.str());
    torch::serialize::InputArchive input;
    input.load_from(read);
    o.name = "gradnorm";
    const auto gradnorm = makeStrategy(o, kFeatureDim, spec("rmsprop", 0.1));
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, gradnorm->load(input));
}

void TestWeighting::normalizedWeightsGuards()
{
    QVERIFY(torch::allclose(normalizedWeights(torch::tensor({1.0f, 2.0f, 1.0f})), torch::tensor({0.25f, 0.5f, 0.25f})));
    const torch::Tensor uniform = torch::full({3}, 1.0f / 3);
    QVERIFY(torch::allclose(normalizedWeights(torch::zeros({3})), uniform));
    QVERIFY(torch::allclose(normalizedWeights(torch::tensor({-1.0f, 0.5f, 0.0f})), uniform));
}

// Save after some steps, load into a fresh strategy (other init), and both continue bit for bit.
void TestWeighting::saveLoadRoundTrip_data()
{
    QTest::addColumn<QString>("name");
    for (const char* n : {"dynamic", "naive", "gradnorm", "uncertainty", "dwa", "equal"}) QTest::newRow(n) << QString::fromLatin1(n);
}

void TestWeighting::saveLoadRoundTrip()
{
    QFETCH(QString, name);
    StrategyOptions o;
    o.name = name.toStdString();
    o.detachWeights = false;  // the psi path that also touches theta
    at::manual_seed(41);
    ToyNet net;
    std::vector<torch::Tensor> xs;
    for (int i = 0; i < 10; ++i) xs.push_back(torch::randn({kBatch, 16}));
    auto original = makeStrategy(o, kFeatureDim, spec("rmsprop", 0.05));
    for (int i = 0; i < 5; ++i) trainStep(*original, net.inputs(xs[i], i, 2));

    torch::serialize::OutputArchive archive;
    original->save(archive);
    std::ostringstream bytes;
    archive.save_to(bytes);

    at::manual_seed(999);  // a different psi init, so only load() can make them agree
    auto resumed = makeStrategy(o, kFeatureDim, spec("rmsprop", 0.05));
    std::istringstream read(bytes.str());
    torch::serialize::InputArchive input;
    input.load_from(read);
    resumed->load(input);

    for (int i = 5; i < 10; ++i) {
        const StrategyOutput a = trainStep(*original, net.inputs(xs[i], i, 2));
        const StrategyOutput b = trainStep(*resumed, net.inputs(xs[i], i, 2));
        QVERIFY2(torch::equal(a.weights, b.weights), qPrintable(QStringLiteral("step %1").arg(i)));
        QVERIFY(torch::equal(a.networkLoss.detach(), b.networkLoss.detach()));
        QCOMPARE(a.strategyLoss.defined(), b.strategyLoss.defined());
        if (a.strategyLoss.defined()) QVERIFY(torch::equal(a.strategyLoss.detach(), b.strategyLoss.detach()));
    }
    const auto pa = original->parameters();
    const auto pb = resumed->parameters();
    QCOMPARE(pa.size(), pb.size());
    for (std::size_t i = 0; i < pa.size(); ++i) QVERIFY(torch::equal(pa[i], pb[i]));
}

void TestWeighting::setLearningRateReachesOptimizer()
{
    at::manual_seed(51);
    StrategyOptions o = dynamicOptions();
    o.lrMultiplier = 10.0;
    DynamicWeighting strategy(o, kFeatureDim, spec("sgd", 0.1));
    StrategyInputs in;
    in.sharedFeatures = torch::randn({kBatch, kFeatureDim});
    in.losses = torch::tensor({0.5f, 3.0f, 1.0f});
    strategy.setLearningRate(0.0);
    const torch::Tensor before = strategy.parameters()[0].clone();
    trainStep(strategy, in);
    QVERIFY(torch::equal(before, strategy.parameters()[0]));  // lr 0: no move
    strategy.setLearningRate(0.01);
    trainStep(strategy, in);
    QVERIFY(!torch::equal(before, strategy.parameters()[0]));
}

// A toy version of the paper's Fig. 3: three synthetic losses that decay at different rates (the
// caricature task -- the hardest -- decays slowest), fed with a fresh batch of non-negative Z each
// step. The dynamic strategy keeps the largest weight on the largest loss; naive does the opposite.
void TestWeighting::toyReproductionTracksHardestTask_data()
{
    QTest::addColumn<double>("temperature");
    QTest::addColumn<QString>("optimizer");
    QTest::addColumn<double>("lr");
    QTest::newRow("CaVI: T=1, RMSProp") << 1.0 << "rmsprop" << 0.05;
    QTest::newRow("WebCaricature: T=2, RMSProp") << 2.0 << "rmsprop" << 0.05;
    QTest::newRow("T=1, Adam") << 1.0 << "adam" << 0.05;
}

void TestWeighting::toyReproductionTracksHardestTask()
{
    QFETCH(double, temperature);
    QFETCH(QString, optimizer);
    QFETCH(double, lr);
    constexpr int kSteps = 400;
    at::manual_seed(61);
    const torch::Tensor pool = torch::relu(torch::randn({64, kFeatureDim}));
    const double start[3] = {6.0, 7.0, 7.5};  // verification, caricature, visual (doc 1.2, Fig. 3)
    const double rate[3] = {0.010, 0.003, 0.015};

    at::manual_seed(62);
    DynamicWeighting dynamic(dynamicOptions(temperature), kFeatureDim, spec(optimizer.toStdString(), lr));
    StrategyOptions naiveOptions = dynamicOptions(0.5);
    naiveOptions.name = "naive";
    at::manual_seed(62);
    NaiveWeighting naive(naiveOptions, kFeatureDim, spec(optimizer.toStdString(), lr));

    int dynamicAgrees = 0, naiveStarves = 0;
    for (int t = 0; t < kSteps; ++t) {
        StrategyInputs in;
        in.sharedFeatures = pool.index_select(0, torch::randperm(64).slice(0, 0, 16));
        std::vector<float> l(3);
        for (int i = 0; i < 3; ++i) l[i] = static_cast<float>(start[i] * std::exp(-rate[i] * t) + 0.05);
        in.losses = torch::tensor(l).requires_grad_();
        const int64_t hardest = in.losses.argmax().item<int64_t>();
        const StrategyOutput d = trainStep(dynamic, in);
        const StrategyOutput n = trainStep(naive, in);
        dynamicAgrees += d.weights.argmax().item<int64_t>() == hardest;
        naiveStarves += n.weights.argmin().item<int64_t>() == hardest;
    }
    qInfo("largest loss: top dynamic weight %d/%d steps, lowest naive weight %d/%d", dynamicAgrees, kSteps, naiveStarves, kSteps);
    QVERIFY2(dynamicAgrees >= 0.9 * kSteps, qPrintable(QStringLiteral("dynamic: %1/%2").arg(dynamicAgrees).arg(kSteps)));
    QVERIFY2(naiveStarves >= 0.5 * kSteps, qPrintable(QStringLiteral("naive: %1/%2").arg(naiveStarves).arg(kSteps)));
}

QTEST_GUILESS_MAIN(TestWeighting)
#include "test_weighting.moc"
