// The training diagnostics of issue #23: the task-gradient conflict on the shared layers
// (against hand-made gradients and against a direct backward on a fixed batch, and proof that
// measuring leaves the update as is) and the per-sample weight bands by modality (from the very
// softmax whose batch mean the dynamic and naive strategies use).
#include "nn/center_loss.h"
#include "nn/dynamic_weighting.h"
#include "nn/gradient_conflict.h"
#include "nn/multitask_net.h"
#include "nn/naive_weighting.h"
#include "nn/task_losses.h"
#include "nn/weight_bands.h"
#include "nn/weighting_strategy.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include <QtTest/QtTest>

using namespace carilab::nn;

namespace {

constexpr std::int64_t kClasses = 4;

// A fixed batch: 8 images, 3 caricatures and 5 photos of 4 identities.
struct FixedBatch {
    torch::Tensor images = torch::randn({8, 3, 64, 64}, torch::TensorOptions().dtype(torch::kFloat));
    torch::Tensor labels = torch::tensor({0, 1, 2, 3, 0, 1, 2, 3}, torch::kInt64);
    torch::Tensor isCaricature = torch::tensor({true, false, true, false, false, true, false, false});
};

MultiTaskNet makeNet(std::uint64_t seed)
{
    torch::manual_seed(seed);
    MultiTaskOptions o;
    o.numClasses = kClasses;
    return MultiTaskNet(o);
}

TaskLosses lossesOf(MultiTaskNet& net, CenterLoss& center, const FixedBatch& b)
{
    const MultiTaskOutput out = net->forward(b.images);
    return computeTaskLosses(out, b.labels, b.isCaricature, center, TaskLossOptions{});
}

// The gradient of one loss by a plain backward into .grad, flattened over `params`.
torch::Tensor backwardGradient(const torch::Tensor& loss, const std::vector<torch::Tensor>& params)
{
    for (auto p : params)
        if (p.grad().defined()) p.mutable_grad().zero_();
    loss.backward({}, /*retain_graph=*/true);
    std::vector<torch::Tensor> parts;
    for (const auto& p : params) parts.push_back(p.grad().defined() ? p.grad().reshape({-1}).clone() : torch::zeros({p.numel()}));
    return torch::cat(parts).to(torch::kDouble);
}

// numpy's default quantile (linear between order statistics), written out by hand.
double quantile(std::vector<double> v, double q)
{
    std::sort(v.begin(), v.end());
    const double pos = q * static_cast<double>(v.size() - 1);
    const auto lo = static_cast<size_t>(std::floor(pos));
    const size_t hi = std::min(lo + 1, v.size() - 1);
    return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

}  // namespace

class TestTaskDiagnostics final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { torch::set_num_threads(1); }

    // Losses linear in one parameter vector: each task's gradient is its own coefficient
    // vector, so norms and cosines are known exactly; a task without gradient has no angle.
    void conflictOfKnownGradients()
    {
        auto p = torch::zeros({3}, torch::kDouble).requires_grad_();
        auto unused = torch::zeros({2}, torch::kDouble).requires_grad_();
        const auto a = torch::tensor({1.0, 0.0, 0.0}, torch::kDouble), b = torch::tensor({1.0, 1.0, 0.0}, torch::kDouble);
        const auto c = torch::tensor({-2.0, 0.0, 0.0}, torch::kDouble);
        const auto losses = torch::stack({(a * p).sum(), (b * p).sum(), (c * p).sum()});
        const GradientConflict g = measureGradientConflict(losses, {p, unused});
        QCOMPARE(g.parameters, std::int64_t{5});
        QVERIFY(std::abs(g.norm[0] - 1.0) < 1e-12);
        QVERIFY(std::abs(g.norm[1] - std::sqrt(2.0)) < 1e-12);
        QVERIFY(std::abs(g.norm[2] - 2.0) < 1e-12);
        QVERIFY(std::abs(g.cosine[0] - 1.0 / std::sqrt(2.0)) < 1e-12);  // verification-caricature
        QVERIFY(std::abs(g.cosine[1] + 1.0) < 1e-12);  // verification-visual: opposed
        QVERIFY(std::abs(g.cosine[2] + 1.0 / std::sqrt(2.0)) < 1e-12);  // caricature-visual
        // The graph survives: the step's own backward still runs, and .grad was never touched.
        QVERIFY(!p.grad().defined());
        losses.sum().backward();
        QVERIFY(p.grad().defined());

        auto q = torch::zeros({2}, torch::kDouble).requires_grad_();
        const auto zeroVisual = torch::stack({q.sum(), (2 * q).sum(), q.sum() * 0});
        const GradientConflict z = measureGradientConflict(zeroVisual, {q});
        QCOMPARE(z.norm[2], 0.0);
        QVERIFY(std::isnan(z.cosine[1]) && std::isnan(z.cosine[2]));
        QVERIFY(std::abs(z.cosine[0] - 1.0) < 1e-12);
    }

    // On the real network and a fixed batch: the measured cosines and norms equal those of
    // three plain backward passes over the shared (trunk) parameters.
    void conflictEqualsDirectBackward()
    {
        MultiTaskNet net = makeNet(3);
        net->train();
        CenterLoss center(kClasses, net->info().embeddingDim);
        torch::manual_seed(11);
        const FixedBatch batch;
        const TaskLosses tl = lossesOf(net, center, batch);
        const auto shared = net->groupParameters(ParamGroup::Trunk);
        const GradientConflict g = measureGradientConflict(tl.losses, shared);

        std::vector<torch::Tensor> direct;
        for (int t = 0; t < kNumTasks; ++t) direct.push_back(backwardGradient(tl.losses[t], shared));
        std::int64_t scalars = 0;
        for (const auto& p : shared) scalars += p.numel();
        QCOMPARE(g.parameters, scalars);
        for (int t = 0; t < kNumTasks; ++t) {
            const double n = direct[static_cast<size_t>(t)].norm().item<double>();
            QVERIFY(n > 0);
            QVERIFY2(std::abs(g.norm[static_cast<size_t>(t)] - n) <= 1e-6 * n, qPrintable(QStringLiteral("norm %1: %2 vs %3").arg(t).arg(g.norm[t]).arg(n)));
        }
        for (int k = 0; k < kNumTaskPairs; ++k) {
            const auto [i, j] = kTaskPairs[static_cast<size_t>(k)];
            const double cos = torch::dot(direct[i], direct[j]).item<double>() / (direct[i].norm().item<double>() * direct[j].norm().item<double>());
            QVERIFY2(std::abs(g.cosine[static_cast<size_t>(k)] - cos) < 1e-6,
                     qPrintable(QStringLiteral("%1: %2 vs %3").arg(QLatin1String(kTaskPairNames[k])).arg(g.cosine[k]).arg(cos)));
        }
        qInfo("fixed batch: cos v-c %.4f, v-v %.4f, c-v %.4f; norms %.4f %.4f %.4f", g.cosine[0], g.cosine[1], g.cosine[2], g.norm[0], g.norm[1], g.norm[2]);
    }

    // Two identical networks take one optimiser step on the same batch, one of them measured
    // first: every parameter ends bit-identical.
    void measuringLeavesTheStepAsIs()
    {
        std::array<MultiTaskNet, 2> nets = {makeNet(5), makeNet(5)};
        torch::manual_seed(13);
        const FixedBatch batch;
        std::array<std::vector<torch::Tensor>, 2> after;
        for (size_t k = 0; k < 2; ++k) {
            MultiTaskNet& net = nets[k];
            net->train();
            CenterLoss center(kClasses, net->info().embeddingDim);
            torch::optim::SGD sgd(net->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
            torch::manual_seed(17);  // the same dropout masks in both forwards
            const TaskLosses tl = lossesOf(net, center, batch);
            if (k == 1) measureGradientConflict(tl.losses, net->groupParameters(ParamGroup::Trunk));
            sgd.zero_grad();
            tl.losses.sum().backward();
            sgd.step();
            for (const auto& p : net->parameters()) after[k].push_back(p.detach().clone());
        }
        QCOMPARE(after[0].size(), after[1].size());
        for (size_t i = 0; i < after[0].size(); ++i) QVERIFY2(torch::equal(after[0][i], after[1][i]), qPrintable(QStringLiteral("parameter %1 differs").arg(i)));
    }

    void conflictErrors()
    {
        auto p = torch::zeros({2}).requires_grad_();
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, measureGradientConflict(torch::zeros({3}), {p}));  // no graph
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, measureGradientConflict(torch::stack({p.sum(), p.sum()}), {p}));  // 2 losses
        const auto frozen = torch::zeros({2});
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, measureGradientConflict(torch::stack({p.sum(), p.sum(), p.sum()}), {frozen}));
    }

    void bandsByHand()
    {
        // Rows: 3 caricatures then 2 photos (interleaved through the mask below).
        const auto w = torch::tensor({{0.2, 0.3, 0.5}, {0.6, 0.2, 0.2}, {0.1, 0.8, 0.1}, {0.3, 0.3, 0.4}, {0.4, 0.4, 0.2}}, torch::kDouble);
        const auto cari = torch::tensor({true, false, true, false, true});
        const WeightBands b = weightBandsByModality(w, cari);
        QVERIFY(b.caricature && b.photo);
        QCOMPARE(b.caricature->samples, std::int64_t{3});
        QCOMPARE(b.photo->samples, std::int64_t{2});
        const std::vector<std::vector<double>> cariRows = {{0.2, 0.3, 0.5}, {0.1, 0.8, 0.1}, {0.4, 0.4, 0.2}};
        const std::vector<std::vector<double>> photoRows = {{0.6, 0.2, 0.2}, {0.3, 0.3, 0.4}};
        auto check = [](const WeightBand& band, const std::vector<std::vector<double>>& rows) {
            for (size_t t = 0; t < 3; ++t) {
                std::vector<double> col;
                for (const auto& r : rows) col.push_back(r[t]);
                double mean = 0;
                for (double v : col) mean += v / static_cast<double>(col.size());
                QVERIFY(std::abs(band.mean[t] - mean) < 1e-12);
                QVERIFY(std::abs(band.q10[t] - quantile(col, 0.1)) < 1e-12);
                QVERIFY(std::abs(band.q50[t] - quantile(col, 0.5)) < 1e-12);
                QVERIFY(std::abs(band.q90[t] - quantile(col, 0.9)) < 1e-12);
            }
        };
        check(*b.caricature, cariRows);
        check(*b.photo, photoRows);
        const WeightBands photosOnly = weightBandsByModality(w, torch::zeros({5}, torch::kBool));
        QVERIFY(!photosOnly.caricature && photosOnly.photo);
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, weightBandsByModality(w, torch::zeros({4}, torch::kBool)));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, weightBandsByModality(torch::zeros({5, 2}), cari));
    }

    void sampleWeightsAreTheStrategysSoftmax_data()
    {
        QTest::addColumn<QString>("strategy");
        QTest::newRow("dynamic") << QStringLiteral("dynamic");
        QTest::newRow("naive") << QStringLiteral("naive");
    }

    // The per-sample weights a strategy hands out are the rows whose batch mean is its weight,
    // and they are psi's softmax of each sample's features: the bands summarise what trains.
    void sampleWeightsAreTheStrategysSoftmax()
    {
        QFETCH(QString, strategy);
        torch::manual_seed(21);
        constexpr std::int64_t kDim = 16;
        StrategyOptions o;
        o.name = strategy.toStdString();
        OptimizerSpec spec;
        spec.kind = OptimizerKind::Sgd;
        StrategyInputs in;
        in.sharedFeatures = torch::randn({10, kDim});
        in.losses = torch::tensor({1.0f, 2.0f, 3.0f}).requires_grad_();
        torch::Tensor out, weights, direct;
        if (strategy == QLatin1String("dynamic")) {
            DynamicWeighting s(o, kDim, spec);
            const StrategyOutput r = s.forward(in);
            out = r.sampleWeights, weights = r.weights, direct = s.module()->sampleWeights(in.sharedFeatures);
        } else {
            NaiveWeighting s(o, kDim, spec);
            const StrategyOutput r = s.forward(in);
            out = r.sampleWeights, weights = r.weights, direct = s.module()->sampleWeights(in.sharedFeatures);
        }
        QCOMPARE(out.sizes().vec(), (std::vector<std::int64_t>{10, 3}));
        QVERIFY(!out.requires_grad());
        QVERIFY(torch::equal(out.mean(0), weights));
        QVERIFY(torch::equal(out, direct.detach()));
        QVERIFY(torch::allclose(out.sum(1), torch::ones({10})));
        // Both modalities' means, weighted by their sizes, give back the batch weight.
        const auto cari = torch::arange(10) % 3 == 0;
        const WeightBands b = weightBandsByModality(out, cari);
        for (size_t t = 0; t < 3; ++t) {
            const double pooled = (b.caricature->mean[t] * b.caricature->samples + b.photo->mean[t] * b.photo->samples) / 10.0;
            QVERIFY(std::abs(pooled - weights[static_cast<std::int64_t>(t)].item<double>()) < 1e-6);
        }
    }

    // Strategies with one weight per batch have no per-sample weights, so their records carry
    // no modality bands.
    void batchWeightStrategiesHaveNoSampleWeights_data()
    {
        QTest::addColumn<QString>("strategy");
        for (const char* name : {"equal", "static:0.5,0.3,0.2", "single:visual", "uncertainty", "gradnorm", "dwa"}) QTest::newRow(name) << QString::fromLatin1(name);
    }

    void batchWeightStrategiesHaveNoSampleWeights()
    {
        QFETCH(QString, strategy);
        constexpr std::int64_t kDim = 8;
        const auto s = makeStrategy(parseStrategyName(strategy.toStdString()), kDim, OptimizerSpec{});
        auto p = torch::ones({2}).requires_grad_();
        StrategyInputs in;
        in.sharedFeatures = torch::randn({6, kDim});
        in.losses = torch::stack({p.sum(), 2 * p.sum(), 3 * p.sum()});
        in.lastSharedParams = {p};
        const StrategyOutput out = s->forward(in);
        QVERIFY(out.weights.defined());
        QVERIFY(!out.sampleWeights.defined());
    }
};

QTEST_GUILESS_MAIN(TestTaskDiagnostics)
#include "test_task_diagnostics.moc"
