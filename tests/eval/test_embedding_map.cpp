// The embedding map's parts against known answers (PCA on a matrix built from two known axes,
// trustworthiness on a hand-worked case, the k-NN vote, t-SNE's affinities), then the whole
// map of a tiny run trained on CariSynth: t-SNE separates the identities (trustworthiness >= 0.9,
// the 2-D identity vote within a few points of the full space's), a random layout does not,
// and the seeded sample, the CSV and the centroid links say what they should.
#include "fixture_trees.h"
#include "test_support.h"

#include "data/carisynth.h"
#include "eval/embedding_projection.h"
#include "eval/embedding_quality.h"
#include "eval/tsne.h"
#include "run/embedding_map.h"

#include <torch/torch.h>

#include <QtTest/QtTest>

#include <cmath>
#include <map>
#include <sstream>

using carilab::test::runCli;
namespace eval = carilab::eval;
namespace run = carilab::run;

namespace {

torch::Tensor fromRows(const std::vector<std::vector<double>>& rows)
{
    auto t = torch::empty({static_cast<long>(rows.size()), static_cast<long>(rows.front().size())}, torch::kFloat64);
    for (size_t i = 0; i < rows.size(); ++i)
        for (size_t j = 0; j < rows[i].size(); ++j) t[static_cast<long>(i)][static_cast<long>(j)] = rows[i][j];
    return t;
}

// Points on a line (1-D positions) as [N, 1].
torch::Tensor line(const std::vector<double>& xs)
{
    std::vector<std::vector<double>> rows;
    for (double x : xs) rows.push_back({x});
    return fromRows(rows);
}

}  // namespace

class TestEmbeddingMap : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    QString data_, run_;

private Q_SLOTS:
    void pcaFindsTheKnownAxes()
    {
        // x_i = t_i a + s_i b in 4-D with a, b orthonormal, t and s uncorrelated and var(t) > var(s): PCA's layout is
        // (t - mean t, s - mean s), its axes a and b (signs: largest entry positive).
        const std::vector<double> a{0.6, 0.8, 0, 0}, b{0, 0, 0.28, 0.96};
        const std::vector<double> t{-2, -1, 1, 2, -2, -1, 1, 2}, s{0.3, 0.3, 0.3, 0.3, -0.3, -0.3, -0.3, -0.3};
        std::vector<std::vector<double>> rows;
        for (size_t i = 0; i < t.size(); ++i) {
            std::vector<double> r(4);
            for (int d = 0; d < 4; ++d) r[static_cast<size_t>(d)] = t[i] * a[static_cast<size_t>(d)] + s[i] * b[static_cast<size_t>(d)];
            rows.push_back(r);
        }
        const auto pca = eval::pca2d(fromRows(rows));
        double mt = 0, ms = 0, vt = 0, vs = 0;
        for (size_t i = 0; i < t.size(); ++i) mt += t[i] / t.size(), ms += s[i] / s.size();
        for (size_t i = 0; i < t.size(); ++i) {
            QVERIFY(std::abs(pca.layout[static_cast<long>(i)][0].item<double>() - (t[i] - mt)) < 1e-5);
            QVERIFY(std::abs(pca.layout[static_cast<long>(i)][1].item<double>() - (s[i] - ms)) < 1e-5);
            vt += (t[i] - mt) * (t[i] - mt), vs += (s[i] - ms) * (s[i] - ms);
        }
        for (int d = 0; d < 4; ++d) {
            QVERIFY(std::abs(pca.axes[d][0].item<double>() - a[static_cast<size_t>(d)]) < 1e-9);
            QVERIFY(std::abs(pca.axes[d][1].item<double>() - b[static_cast<size_t>(d)]) < 1e-9);
        }
        QVERIFY(std::abs(pca.explainedVariance[0] - vt / (vt + vs)) < 1e-9);
        QVERIFY(std::abs(pca.explainedVariance[1] - vs / (vt + vs)) < 1e-9);
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, eval::pca2d(torch::zeros({1, 3})));
    }

    void trustworthinessOfAHandWorkedCase()
    {
        // High: points at 0, 1, 3, 6, 10 on a line; the map swaps the first and the last. With
        // k = 1 the map's neighbours 0->3, 1->4 and 4->1 have full-space ranks 3, 4 and 3, so
        // the penalty is 2 + 3 + 2 = 7 and T = 1 - 2 / (5 * 1 * (10 - 3 - 1)) * 7 = 8 / 15.
        const auto high = line({0, 1, 3, 6, 10});
        const auto low = line({10, 1, 3, 6, 0});
        QVERIFY(std::abs(eval::trustworthiness(high, low, 1) - 8.0 / 15.0) < 1e-12);
        QCOMPARE(eval::trustworthiness(high, high, 1), 1.0);
        // A map that keeps every neighbourhood is fully trustworthy whatever its scale.
        QCOMPARE(eval::trustworthiness(high, high * 7 + 3, 2), 1.0);
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, eval::trustworthiness(high, low, 3));  // k >= N / 2
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, eval::trustworthiness(high, line({1, 2}), 1));
    }

    void knnVoteOfAKnownCase()
    {
        // Two groups far apart, one point of label 1 placed inside group 0: it alone is out-voted.
        const auto x = line({0, 0.1, 0.2, 0.3, 0.15, 10, 10.1, 10.2, 10.3});
        const std::vector<int> labels{0, 0, 0, 0, 1, 1, 1, 1, 1};
        QVERIFY(std::abs(eval::knnIdentityAccuracy(x, labels, 3) - 8.0 / 9.0) < 1e-12);
        // A tie (k = 2: one vote each) goes to the nearer neighbour's label.
        const auto y = line({0, 1, 3});
        // 0: neighbours 1 (label 0) and 3 (label 1) tie, the nearer wins: right; 1: the same;
        // 3: both neighbours are label 0: wrong.
        QVERIFY(std::abs(eval::knnIdentityAccuracy(y, {0, 0, 1}, 2) - 2.0 / 3.0) < 1e-12);
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, eval::knnIdentityAccuracy(y, {0, 1}, 1));
    }

    void tsneAffinitiesHaveThePerplexityAsked()
    {
        const auto x = torch::randn({60, 5}, torch::TensorOptions().dtype(torch::kFloat64));
        const auto p = eval::tsneAffinities(x, 10);
        QVERIFY(std::abs(p.sum().item<double>() - 1.0) < 1e-6);
        QVERIFY(torch::allclose(p, p.t()));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, eval::tsneAffinities(x, 0));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, eval::tsne(torch::zeros({3, 2})));
        // The same seed gives the same layout; another seed another.
        eval::TsneOptions o;
        o.iterations = 100;
        const auto a = eval::tsne(x, o).layout, b = eval::tsne(x, o).layout;
        o.seed = 2;
        const auto c = eval::tsne(x, o).layout;
        QVERIFY(torch::equal(a, b));
        QVERIFY(!torch::allclose(a, c));
    }

    void initTestCase()
    {
        QVERIFY(tmp_.isValid());
        data_ = tmp_.path() + "/synth";
        run_ = tmp_.path() + "/run";
        carilab::test::makeSynthRun(data_, run_, {/*identities=*/12, /*perSide=*/10, /*seed=*/5, /*steps=*/150, /*batch=*/32});
    }

    void tsneOfATrainedRunSeparatesIdentities()
    {
        run::EmbeddingMapRequest r;
        r.runDir = run_.toStdString();
        r.method = "tsne";
        std::vector<std::string> stages;
        const auto map = run::computeEmbeddingMap(r, [&](const std::string& stage, std::size_t, std::size_t) {
            if (stages.empty() || stages.back() != stage) stages.push_back(stage);
        });
        QCOMPARE(map.points.size(), size_t(240));
        QVERIFY(!map.subsampled);
        QCOMPARE(stages, (std::vector<std::string>{"loading", "embedding", "projecting"}));
        qInfo("t-SNE: %s", run::describeQuality(map.quality).c_str());
        QVERIFY2(map.quality.trustworthiness >= 0.9, run::describeQuality(map.quality).c_str());
        QVERIFY2(map.quality.knnAccuracyFull >= 0.9, "the trained run separates identities in its own space");
        QVERIFY2(std::abs(map.quality.knnAccuracyMap - map.quality.knnAccuracyFull) <= 0.03, run::describeQuality(map.quality).c_str());

        // The measure can fail: a random layout of the same points is not trustworthy.
        auto full = torch::randn({static_cast<long>(map.points.size()), 2});
        std::vector<int> labels;
        auto xy = torch::empty({static_cast<long>(map.points.size()), 2});
        for (size_t i = 0; i < map.points.size(); ++i) {
            xy[static_cast<long>(i)][0] = map.points[i].x;
            xy[static_cast<long>(i)][1] = map.points[i].y;
            labels.push_back(map.points[i].identity);
        }
        QVERIFY(eval::trustworthiness(xy, full) < 0.7);
        QVERIFY(eval::knnIdentityAccuracy(full, labels) < 0.3);
    }

    void pcaSampleCsvAndLinks()
    {
        run::EmbeddingMapRequest r;
        r.runDir = run_.toStdString();
        r.method = "pca";
        r.maxPoints = 60;
        r.seed = 3;
        const auto map = run::computeEmbeddingMap(r);
        QCOMPARE(map.points.size(), size_t(60));
        QVERIFY(map.subsampled);
        QCOMPARE(map.datasetImages, 240LL);
        QVERIFY(map.explainedVariance[0] >= map.explainedVariance[1] && map.explainedVariance[1] > 0);
        // The same seed draws the same sample.
        const auto again = run::computeEmbeddingMap(r);
        for (size_t i = 0; i < map.points.size(); ++i) QCOMPARE(again.points[i].image, map.points[i].image);

        std::istringstream csv(run::embeddingMapCsv(map));
        std::string line;
        std::getline(csv, line);
        QCOMPARE(QString::fromStdString(line), QString("# subsampled: 60 of 240 images (random, seed 3)"));
        std::getline(csv, line);
        QCOMPARE(QString::fromStdString(line), QString("identity,modality,path,x,y"));
        int rows = 0;
        while (std::getline(csv, line)) {
            const auto& p = map.points[static_cast<size_t>(rows++)];
            QVERIFY(QString::fromStdString(line).startsWith(
                QString::fromStdString(map.identities[static_cast<size_t>(p.identity)] + "," + p.modality + "," + p.path + ",")));
        }
        QCOMPARE(rows, 60);

        // Links: every caricature whose identity has a photo on the map, to that photo mean.
        std::map<int, std::vector<const run::MapPoint*>> photos;
        int caricatures = 0;
        for (const auto& p : map.points)
            if (p.modality == "photo") photos[p.identity].push_back(&p);
        for (const auto& p : map.points) caricatures += p.modality == "caricature" && photos.count(p.identity);
        const auto links = run::photoCentroidLinks(map);
        QCOMPARE(static_cast<int>(links.size()), caricatures);
        for (const auto& l : links) {
            const auto& ps = photos.at(map.points[static_cast<size_t>(l.point)].identity);
            double cx = 0;
            for (const auto* p : ps) cx += p->x / ps.size();
            QVERIFY(std::abs(cx - l.cx) < 1e-9);
        }
    }

    void badRequestsSayWhy()
    {
        run::EmbeddingMapRequest r;
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, run::computeEmbeddingMap(r));  // neither run nor pretrained
        r.runDir = run_.toStdString();
        r.method = "umap";
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, run::computeEmbeddingMap(r));
        r.method = "tsne";
        r.perplexity = 1;
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, run::computeEmbeddingMap(r));
        r.perplexity = 30;
        r.maxPoints = 15;  // fewer than 2k + 1 points cannot be measured
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, run::computeEmbeddingMap(r));
        r.maxPoints = 0;
        bool asked = false;
        QVERIFY_THROWS_EXCEPTION(run::EvaluationCancelled, run::computeEmbeddingMap(r, {}, [&] { return asked = true; }));
        QVERIFY(asked);
    }
};

QTEST_GUILESS_MAIN(TestEmbeddingMap)
#include "test_embedding_map.moc"
