// CariLab's metric definitions against values computed by hand on small score sets.
#include "eval/embedder.h"
#include "eval/fold_thresholds.h"
#include "eval/identification_metrics.h"
#include "eval/protocol_eval.h"
#include "eval/score_file.h"
#include "eval/verification_metrics.h"

#include <chrono>
#include <cmath>
#include <fstream>
#include <random>

#include <QtTest/QtTest>

using namespace carilab::eval;

namespace {

// 4 genuine, 10 impostor. Sweeping the threshold down:
//   0.90 FAR 0   TAR .25 | 0.85 FAR .1 | 0.80 TAR .5 | 0.70 TAR .75 | 0.60 FAR .2 | 0.50 FAR .3
//   0.40 FAR .4 | 0.30 TAR 1 | then FAR grows to 1.
std::vector<Pair> handSet()
{
    std::vector<Pair> p;
    for (double s : {0.9, 0.8, 0.7, 0.3}) p.push_back({s, true});
    for (double s : {0.85, 0.6, 0.5, 0.4, 0.2, 0.1, 0.05, 0.0, -0.1, -0.2}) p.push_back({s, false});
    return p;
}

}  // namespace

class TestMetrics : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void valAtFar_data()
    {
        QTest::addColumn<double>("far");
        QTest::addColumn<double>("val");
        QTest::newRow("0") << 0.0 << 0.25;
        QTest::newRow("0.05") << 0.05 << 0.25;
        QTest::newRow("0.1") << 0.1 << 0.75;
        QTest::newRow("0.15 (no interpolation)") << 0.15 << 0.75;
        QTest::newRow("0.3") << 0.3 << 0.75;
        QTest::newRow("0.4") << 0.4 << 1.0;
        QTest::newRow("1") << 1.0 << 1.0;
    }
    void valAtFar()
    {
        QFETCH(double, far);
        QFETCH(double, val);
        QCOMPARE(carilab::eval::valAtFar(handSet(), far), val);
    }

    void aucAndTies_data()
    {
        QTest::addColumn<QVector<double>>("genuine");
        QTest::addColumn<QVector<double>>("impostor");
        QTest::addColumn<double>("auc");
        // 34 of the 40 genuine-impostor orderings are right.
        QTest::newRow("hand set") << QVector<double>{0.9, 0.8, 0.7, 0.3} << QVector<double>{0.85, 0.6, 0.5, 0.4, 0.2, 0.1, 0.05, 0.0, -0.1, -0.2}
                                  << 34.0 / 40.0;
        // (0.5,0.5) ties count half twice, the other two orderings are right: 3/4.
        QTest::newRow("ties") << QVector<double>{0.5, 0.5} << QVector<double>{0.5, 0.1} << 0.75;
        QTest::newRow("all tied") << QVector<double>{1, 1} << QVector<double>{1, 1, 1} << 0.5;
        QTest::newRow("reversed") << QVector<double>{0.1} << QVector<double>{0.9} << 0.0;
    }
    void aucAndTies()
    {
        QFETCH(QVector<double>, genuine);
        QFETCH(QVector<double>, impostor);
        QFETCH(double, auc);
        std::vector<Pair> p;
        for (double s : genuine) p.push_back({s, true});
        for (double s : impostor) p.push_back({s, false});
        QCOMPARE(rocAuc(p), auc);
        // The trapezoid over the ROC curve is the same number.
        const auto roc = rocCurve(p);
        double area = 0;
        for (size_t i = 1; i < roc.size(); ++i) area += (roc[i].far - roc[i - 1].far) * (roc[i].tar + roc[i - 1].tar) / 2;
        QVERIFY(std::abs(area - auc) < 1e-12);
        QCOMPARE(roc.front().far, 0.0);
        QCOMPARE(roc.back().far, 1.0);
        QCOMPARE(roc.back().tar, 1.0);
    }

    void equalError()
    {
        // FRR - FAR falls from +0.05 at 0.6 (FAR .2, FRR .25) to -0.05 at 0.5 (FAR .3, FRR .25):
        // they cross halfway, EER = 0.25 at threshold 0.55.
        const auto e = equalErrorRate(handSet());
        QVERIFY(std::abs(e.rate - 0.25) < 1e-12);
        QVERIFY(std::abs(e.threshold - 0.55) < 1e-12);
        // Perfect separation: EER 0.
        QCOMPARE(equalErrorRate({{0.9, true}, {0.1, false}}).rate, 0.0);
    }

    void accuracyAndFolds()
    {
        const auto p = handSet();
        // Best single threshold: accept >= 0.7 gets 3 genuine + 9 impostor right.
        const auto t = bestThreshold(p);
        QCOMPARE(t.accuracy, 12.0 / 14.0);
        QCOMPARE(accuracyAt(p, t.threshold), 12.0 / 14.0);
        // Threshold chosen on a tuning set, applied to the test fold.
        std::vector<Pair> tuning = {{0.95, true}, {0.65, false}};
        const auto r = toJson(verifyFolds({ScoredFold{p}}, tuning));
        const double th = r["folds"][0]["threshold"].get<double>();
        QVERIFY(th > 0.65 && th <= 0.95);
        QCOMPARE(r["folds"][0]["threshold_from"].get<std::string>(), std::string("tuning set"));
        QCOMPARE(r["folds"][0]["accuracy"].get<double>(), accuracyAt(p, th));
        QCOMPARE(r["folds"][0]["val_far_1%"].get<double>(), 0.25);
        // Two folds without tuning: each fold's threshold comes from the other one.
        std::vector<Pair> a = {{0.9, true}, {0.1, false}}, b = {{0.2, true}, {0.15, false}};
        const auto two = toJson(verifyFolds({ScoredFold{a}, ScoredFold{b}}, {}));
        QCOMPARE(two["folds"][0]["threshold_from"].get<std::string>(), std::string("other folds"));
        // Fold a is scored with b's threshold (between 0.15 and 0.2): both right.
        QCOMPARE(two["folds"][0]["accuracy"].get<double>(), 1.0);
        // Fold b with a's threshold (0.5): the genuine 0.2 is rejected.
        QCOMPARE(two["folds"][1]["accuracy"].get<double>(), 0.5);
        QCOMPARE(two["mean"]["accuracy"].get<double>(), 0.75);
        QCOMPARE(two["std"]["accuracy"].get<double>(), 0.25);
        long long hist = 0;
        for (const auto& c : two["histogram"]["genuine"]) hist += c.get<long long>();
        for (const auto& c : two["histogram"]["impostor"]) hist += c.get<long long>();
        QCOMPARE(hist, 4LL);
    }

    void cmc()
    {
        // Gallery identities A B C. Probe A: scores .2 .5 .1 -> B above it: rank 2. Probe B: its
        // .3 ties A's .3 and C's .9 is above: ties count against the probe, rank 3. Probe D has
        // no gallery image: left out and counted.
        const std::vector<float> scores = {0.2f, 0.5f, 0.1f, 0.3f, 0.3f, 0.9f, 0.9f, 0.1f, 0.1f};
        const auto r = cmcFromScores(scores, {0, 1, 3}, {0, 1, 2}, 3);
        QCOMPARE(r.probes, 2);
        QCOMPARE(r.probesWithoutMate, 1);
        QCOMPARE(r.ranks[0], 2);
        QCOMPARE(r.ranks[1], 3);
        QCOMPARE(r.cmc, (std::vector<double>{0.0, 0.5, 1.0}));
        QCOMPARE(r.rank(10), 1.0);
        // Two gallery images of the probe's identity: the better one counts.
        const auto two = cmcFromScores({0.1f, 0.8f, 0.5f}, {0}, {0, 0, 1}, 2);
        QCOMPARE(two.ranks[0], 1);
        // A constant scorer is never rank 1 when there are impostors.
        const auto flat = cmcFromScores({0.5f, 0.5f, 0.5f}, {0}, {0, 1, 2}, 3);
        QCOMPARE(flat.ranks[0], 3);
    }

    void scoreFile()
    {
        QTemporaryDir tmp;
        const std::string path = (tmp.path() + "/scores.csv").toStdString();
        std::ofstream(path, std::ios::binary) << "score,label\r\n0.9,1\r\n0.2,0\n0.7,true\nabc,1\n0.5,maybe\n0.1\n-0.3,diff\n";
        const auto f = readScoreFile(path);
        QCOMPARE(static_cast<int>(f.pairs.size()), 4);
        QCOMPARE(static_cast<int>(f.issues.size()), 3);
        QCOMPARE(f.issues[0].line, 5);
        QVERIFY(f.issues[0].message.find("'abc' is not a finite number") != std::string::npos);
        QCOMPARE(f.issues[1].line, 6);
        QCOMPARE(f.issues[2].line, 7);
        QCOMPARE(f.pairs[2].positive, true);
        QCOMPARE(f.pairs[3].score, -0.3);
        // Round trip through the writer.
        const std::string out = (tmp.path() + "/out.csv").toStdString();
        writeScoreFile(out, f.pairs, {0, 0, 1, 1});
        const auto back = readScoreFile(out);
        QCOMPARE(static_cast<int>(back.pairs.size()), 4);
        QVERIFY(back.issues.empty());
        QCOMPARE(rocAuc(back.pairs), rocAuc(f.pairs));
        // Nothing usable: an error naming the first problem.
        std::ofstream(path, std::ios::binary | std::ios::trunc) << "x,y\nfoo,bar\n";
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, readScoreFile(path));
    }

    void thinnedRocKeepsTheEnvelope()
    {
        std::vector<Pair> p;
        std::mt19937 rng(3);
        std::normal_distribution<double> g(1.0, 1.0), n(0.0, 1.0);
        for (int i = 0; i < 20000; ++i) p.push_back({g(rng), true});
        for (int i = 0; i < 200000; ++i) p.push_back({n(rng), false});
        const auto full = rocCurve(p);
        const auto thin = thinRoc(full, 400);
        QVERIFY(thin.size() <= 402 + 10);
        QCOMPARE(thin.front().far, 0.0);
        QCOMPARE(thin.back().tar, 1.0);
        // VAL read off the thinned curve at the kept FARs equals the exact VAL there.
        size_t j = 0;
        double best = 0;
        for (const auto& r : thin) {
            while (j < full.size() && full[j].far <= r.far) best = std::max(best, full[j++].tar);
            QCOMPARE(r.tar, best);
        }
        QCOMPARE(carilab::eval::valAtFar(p, thin[thin.size() / 2].far), thin[thin.size() / 2].tar);
    }

    // #19: the all-folds-at-once thresholds are exactly bestThreshold on each complement, with
    // heavy ties (scores from a handful of values), empty folds and single-class folds.
    void leaveOneFoldOutMatchesBestThreshold()
    {
        using carilab::eval::Pair;
        std::mt19937 rng(19);
        for (int trial = 0; trial < 300; ++trial) {
            const int k = 1 + static_cast<int>(rng() % 8), levels = 1 + static_cast<int>(rng() % 12);
            std::vector<std::vector<Pair>> folds(static_cast<size_t>(k));
            for (auto& f : folds) {
                const int n = static_cast<int>(rng() % 7);
                const bool oneClass = rng() % 5 == 0;
                for (int i = 0; i < n; ++i)
                    f.push_back({static_cast<double>(rng() % static_cast<unsigned>(levels)) / 4.0 - 1.0, oneClass || rng() % 2 == 0});
            }
            const auto fast = carilab::eval::leaveOneFoldOutThresholds(folds);
            QCOMPARE(fast.size(), folds.size());
            for (int f = 0; f < k; ++f) {
                std::vector<Pair> rest;
                for (int g = 0; g < k; ++g)
                    if (g != f) rest.insert(rest.end(), folds[static_cast<size_t>(g)].begin(), folds[static_cast<size_t>(g)].end());
                QCOMPARE(fast[static_cast<size_t>(f)], carilab::eval::bestThreshold(rest).threshold);
            }
        }
    }

    // #19: `roc --folds 100000` on 200 000 rows ran for over 11 minutes (a sort per fold).
    // An ensemble's average: embeddings summed then unit, probabilities averaged, predictions
    // from the average (not a vote), an image read only where every member read it.
    void ensembleAverage()
    {
        auto member = [](std::vector<float> emb, std::vector<float> probs, std::vector<char> ok) {
            EmbeddedImages e;
            e.images = {4, 7};
            e.rowIndex_ = {-1, -1, -1, -1, 0, -1, -1, 1};
            e.embeddings = torch::tensor(emb).view({2, 2});
            e.probabilities = torch::tensor(probs).view({2, 3, 2});
            e.predicted = e.probabilities.argmax(2);
            e.predicted.select(1, 2).fill_(-1);  // both images are caricatures: no visual-branch column
            e.probabilities.select(1, 2).zero_();
            e.ok = ok;
            return e;
        };
        // Image 4: member a says identity 0 (0.6), member b identity 1 (0.9): the average (0.35 /
        // 0.65) picks 1. Image 7: unread by b.
        const auto a = member({1, 0, 0, 1}, {0.6f, 0.4f, 0.6f, 0.4f, 0, 0, 0.5f, 0.5f, 0.5f, 0.5f, 0, 0}, {1, 1});
        const auto b = member({0, 1, 0, 1}, {0.1f, 0.9f, 0.1f, 0.9f, 0, 0, 0.5f, 0.5f, 0.5f, 0.5f, 0, 0}, {1, 0});
        const auto avg = averageEmbedded({a, b});
        const float h = std::sqrt(0.5f);
        QVERIFY(torch::allclose(avg.embeddings[0], torch::tensor({h, h})));
        QVERIFY(torch::allclose(avg.embeddings[1], torch::zeros({2})));
        QCOMPARE(avg.ok, std::vector<char>({1, 0}));
        QCOMPARE(avg.predicted[0][0].item<std::int64_t>(), static_cast<std::int64_t>(1));
        QCOMPARE(avg.predicted[0][1].item<std::int64_t>(), static_cast<std::int64_t>(1));
        QCOMPARE(avg.predicted[0][2].item<std::int64_t>(), static_cast<std::int64_t>(-1));
        QCOMPARE(avg.predicted[1][0].item<std::int64_t>(), static_cast<std::int64_t>(-1));
        QVERIFY(torch::allclose(avg.probabilities[0][0], torch::tensor({0.35f, 0.65f})));
        QCOMPARE(avg.rowOf(7), 1);

        auto other = b;
        other.images = {4, 8};
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, averageEmbedded({a, other}));
        auto noHeads = b;
        noHeads.probabilities = torch::Tensor();
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, averageEmbedded({a, noHeads}));
    }

    void manyFoldsAreFast()
    {
        std::mt19937 rng(7);
        std::normal_distribution<double> noise(0.0, 1.0);
        std::vector<carilab::eval::ScoredFold> folds(100000);
        for (size_t i = 0; i < 200000; ++i) {
            const bool positive = i % 2 == 0;
            folds[i / 2].pairs.push_back({noise(rng) + (positive ? 1.5 : 0.0), positive});
        }
        const auto t0 = std::chrono::steady_clock::now();
        const auto report = carilab::eval::toJson(carilab::eval::verifyFolds(folds, {}));
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        QCOMPARE(report["folds"].size(), size_t(100000));
        QVERIFY2(s < 30.0, qPrintable(QString::number(s)));
        QVERIFY(report["mean"]["accuracy"].get<double>() > 0.7);
    }
};

QTEST_GUILESS_MAIN(TestMetrics)
#include "test_metrics.moc"
