// Benchmark: scoring a CaVI-sized pair list from cached embeddings and computing every
// verification figure (10 folds). The bar: 13 035 pairs over ~2 200 embeddings well
// under a second.
#include "eval/protocol_eval.h"

#include <torch/torch.h>

#include <random>

#include <QtTest/QtTest>

using namespace carilab::eval;

class BenchEval : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void caviSizedPairList_data()
    {
        QTest::addColumn<int>("dim");
        QTest::newRow("tiny (128-d)") << 128;
        QTest::newRow("inception-resnet-v1 (1792-d)") << 1792;
    }
    void caviSizedPairList()
    {
        QFETCH(int, dim);
        torch::manual_seed(1);
        const int images = 2200, pairs = 13035;
        const auto emb = torch::nn::functional::normalize(torch::randn({images, dim}), torch::nn::functional::NormalizeFuncOptions().dim(1));
        std::mt19937 rng(1);
        std::vector<std::pair<int, int>> idx;
        std::vector<bool> same;
        for (int i = 0; i < pairs; ++i) {
            idx.push_back({static_cast<int>(rng() % images), static_cast<int>(rng() % images)});
            same.push_back(i % 2 == 0);
        }
        nlohmann::json r;
        QBENCHMARK
        {
            const auto e = emb.accessor<float, 2>();
            std::vector<ScoredFold> folds(10);
            for (int i = 0; i < pairs; ++i) {
                double s = 0;
                for (int k = 0; k < dim; ++k)
                    s += static_cast<double>(e[idx[static_cast<size_t>(i)].first][k]) * e[idx[static_cast<size_t>(i)].second][k];
                folds[static_cast<size_t>(i * 10 / pairs)].pairs.push_back({s, same[static_cast<size_t>(i)]});
            }
            r = toJson(verifyFolds(folds, {}));
        }
        QCOMPARE(r["folds"].size(), static_cast<size_t>(10));
        QCOMPARE(r["pooled"]["pairs"].get<long long>(), static_cast<long long>(pairs));
    }
};

QTEST_GUILESS_MAIN(BenchEval)
#include "bench_eval.moc"
