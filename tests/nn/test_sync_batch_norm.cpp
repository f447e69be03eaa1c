// Synchronised batch norm: ranks (threads here, thread_replicas.h), each with its share of a
// batch, must compute what LibTorch's BatchNorm2d computes on the whole batch: outputs, running
// statistics, and gradients of the sum of the ranks' losses.
#include "nn/conv_bn.h"
#include "nn/inference_precision.h"
#include "nn/sync_batch_norm.h"
#include "thread_replicas.h"

#include <torch/torch.h>

#include <thread>

#include <QtTest/QtTest>

using namespace carilab::nn;
using carilab::test::runRanks;
using carilab::test::ThreadGroup;
using carilab::test::ThreadReplicas;

namespace {

constexpr std::int64_t kChannels = 3;

// Channels with different means and spreads, so that each has its own statistics and a mix-up
// of channels or of ranks' shares shows.
torch::Tensor batch(std::int64_t n, std::int64_t c = kChannels, std::int64_t h = 5, std::int64_t w = 4)
{
    const auto offset = torch::linspace(-2.0, 3.0, c).view({1, c, 1, 1});
    const auto spread = torch::linspace(0.5, 2.0, c).view({1, c, 1, 1});
    return torch::randn({n, c, h, w}) * spread + offset;
}

// A batch norm's parameters and buffers (the buffers as a module holds them).
struct BnState {
    torch::Tensor weight, bias, runningMean, runningVar, tracked;
};

BnState randomState(std::int64_t c = kChannels)
{
    return {1 + 0.3 * torch::randn({c}), 0.2 * torch::randn({c}), 0.1 * torch::randn({c}), 1 + 0.1 * torch::rand({c}),
            torch::zeros({}, torch::kLong)};
}

// What one forward and backward leaves: output and gradients of the loss Σ y·R.
struct Step {
    torch::Tensor y, gradX, gradWeight, gradBias, runningMean, runningVar, tracked;
};

Step wholeBatchReference(const torch::Tensor& x, const torch::Tensor& r, const BnState& s)
{
    torch::nn::BatchNorm2d bn(torch::nn::BatchNorm2dOptions(x.size(1)).eps(kBnEps).momentum(kBnMomentum));
    {
        torch::NoGradGuard noGrad;
        bn->weight.copy_(s.weight);
        bn->bias.copy_(s.bias);
        bn->running_mean.copy_(s.runningMean);
        bn->running_var.copy_(s.runningVar);
    }
    const auto xi = x.detach().requires_grad_();
    const auto y = bn(xi);
    (y * r).sum().backward();
    return {y.detach(), xi.grad(), bn->weight.grad(), bn->bias.grad(), bn->running_mean.clone(), bn->running_var.clone(), bn->num_batches_tracked.clone()};
}

// One rank's step on its share `x` (a view of the batch), with its own copies of the state.
Step rankStep(const torch::Tensor& x, const torch::Tensor& r, const BnState& s, Replicas& replicas)
{
    const auto xi = x.detach().requires_grad_();
    const auto w = s.weight.clone().requires_grad_(), b = s.bias.clone().requires_grad_();
    auto mean = s.runningMean.clone(), var = s.runningVar.clone(), tracked = s.tracked.clone();
    const auto y = syncBatchNorm(xi, w, b, mean, var, tracked, kBnEps, kBnMomentum, replicas);
    (y * r).sum().backward();
    return {y.detach(), xi.grad(), w.grad(), b.grad(), mean, var, tracked};
}

double maxDiff(const torch::Tensor& a, const torch::Tensor& b) { return (a.to(torch::kDouble) - b.to(torch::kDouble)).abs().max().item<double>(); }

double relDiff(const torch::Tensor& a, const torch::Tensor& b) { return maxDiff(a, b) / b.to(torch::kDouble).abs().max().item<double>(); }

#define EXPECT_CLOSE(a, b, tol)                                                                                                                   \
    do {                                                                                                                                        \
        const double d_ = maxDiff((a), (b));                                                                                                    \
        QVERIFY2(d_ <= (tol), qPrintable(QStringLiteral("%1 vs %2: max |diff| %3 > %4").arg(QLatin1String(#a), QLatin1String(#b)).arg(d_).arg(tol))); \
    } while (false)

std::vector<std::int64_t> offsetsOf(const QList<int>& shares)
{
    std::vector<std::int64_t> at{0};
    for (int n : shares) at.push_back(at.back() + n);
    return at;
}

// Every rank's share of the batch, run in sync; ranks' steps in rank order.
std::vector<Step> runShares(const torch::Tensor& x, const torch::Tensor& r, const BnState& s, const QList<int>& shares, std::vector<int>* sums = nullptr)
{
    const auto at = offsetsOf(shares);
    std::vector<Step> steps(static_cast<std::size_t>(shares.size()));
    if (sums) sums->assign(steps.size(), 0);
    const auto errors = runRanks(static_cast<int>(shares.size()), [&](ThreadReplicas& replicas) {
        const auto i = static_cast<std::size_t>(replicas.rank());
        const std::int64_t n = at[i + 1] - at[i];
        steps[i] = rankStep(x.narrow(0, at[i], n), r.narrow(0, at[i], n), s, replicas);
        if (sums) (*sums)[i] = replicas.sums();
    });
    for (const auto& e : errors)
        if (!e.empty()) throw std::runtime_error(e);
    return steps;
}

torch::Tensor catY(const std::vector<Step>& steps)
{
    std::vector<torch::Tensor> ys;
    for (const auto& s : steps) ys.push_back(s.y);
    return torch::cat(ys);
}

void copyModule(torch::nn::Module& from, torch::nn::Module& to)
{
    torch::NoGradGuard noGrad;
    auto dst = to.named_parameters();
    for (const auto& p : from.named_parameters()) dst[p.key()].copy_(p.value());
    auto buffers = to.named_buffers();
    for (const auto& b : from.named_buffers()) buffers[b.key()].copy_(b.value());
}

ConvBnOptions convOptions() { return ConvBnOptions{kChannels, 4, 3, 3, 1, true, true}; }

}  // namespace

class TestSyncBatchNorm : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { torch::manual_seed(7); }

    void scopeIsThreadLocalAndNests()
    {
        ThreadGroup group(1);
        ThreadReplicas a(group, 0), b(group, 0);
        QVERIFY(syncBatchNormReplicas() == nullptr);
        {
            SyncBatchNormScope outer(&a);
            QVERIFY(syncBatchNormReplicas() == &a);
            {
                SyncBatchNormScope inner(&b);
                QVERIFY(syncBatchNormReplicas() == &b);
            }
            QVERIFY(syncBatchNormReplicas() == &a);
            Replicas* elsewhere = &a;
            std::thread([&] { elsewhere = syncBatchNormReplicas(); }).join();
            QVERIFY(elsewhere == nullptr);
        }
        QVERIFY(syncBatchNormReplicas() == nullptr);
    }

    // One rank: exactly LibTorch's training-mode BatchNorm2d.
    void oneRankIsBatchNorm2d()
    {
        const auto x = batch(4);
        const auto r = torch::randn_like(x);
        const BnState s = randomState();
        const Step ref = wholeBatchReference(x, r, s);
        ThreadGroup group(1);
        ThreadReplicas replicas(group, 0);
        const Step got = rankStep(x, r, s, replicas);
        EXPECT_CLOSE(got.y, ref.y, 1e-5);
        EXPECT_CLOSE(got.runningMean, ref.runningMean, 1e-6);
        EXPECT_CLOSE(got.runningVar, ref.runningVar, 1e-6);
        QCOMPARE(got.tracked.item<std::int64_t>(), 1);
        EXPECT_CLOSE(got.gradX, ref.gradX, 1e-5);
        EXPECT_CLOSE(got.gradWeight, ref.gradWeight, 1e-5 * ref.gradWeight.abs().max().item<double>());
        EXPECT_CLOSE(got.gradBias, ref.gradBias, 1e-5 * ref.gradBias.abs().max().item<double>());
        QCOMPARE(replicas.sums(), 2);  // one in the forward, one in the backward
    }

    void ranksAreTheWholeBatch_data()
    {
        QTest::addColumn<QList<int>>("shares");
        QTest::addColumn<bool>("channelsLast");
        QTest::newRow("2 ranks, 4+2") << QList<int>{4, 2} << false;
        QTest::newRow("3 ranks, 1+2+3") << QList<int>{1, 2, 3} << false;
        QTest::newRow("2 ranks, 3+3, channels-last") << QList<int>{3, 3} << true;
        QTest::newRow("3 ranks, 2+3+1, channels-last") << QList<int>{2, 3, 1} << true;
    }

    // Rank k's loss is Σ y·R over its share; the ranks' losses add up to the whole batch's, so
    // each rank's input gradient is the whole batch's on its share, and the parameter gradients
    // of the ranks add up to the whole batch's.
    void ranksAreTheWholeBatch()
    {
        QFETCH(QList<int>, shares);
        QFETCH(bool, channelsLast);
        auto x = batch(offsetsOf(shares).back());
        if (channelsLast) x = x.contiguous(torch::MemoryFormat::ChannelsLast);
        const auto r = torch::randn_like(x);
        const BnState s = randomState();
        const Step ref = wholeBatchReference(x, r, s);
        std::vector<int> sums;
        const auto steps = runShares(x, r, s, shares, &sums);

        EXPECT_CLOSE(catY(steps), ref.y, 1e-5);
        const auto at = offsetsOf(shares);
        auto gradWeight = torch::zeros_like(ref.gradWeight), gradBias = torch::zeros_like(ref.gradBias);
        for (std::size_t k = 0; k < steps.size(); ++k) {
            const Step& got = steps[k];
            if (channelsLast) QVERIFY(got.y.is_contiguous(torch::MemoryFormat::ChannelsLast));
            EXPECT_CLOSE(got.runningMean, ref.runningMean, 1e-6);
            EXPECT_CLOSE(got.runningVar, ref.runningVar, 1e-5);
            QCOMPARE(got.tracked.item<std::int64_t>(), 1);
            EXPECT_CLOSE(got.gradX, ref.gradX.narrow(0, at[k], at[k + 1] - at[k]), 1e-5);
            QCOMPARE(sums[k], 2);
            gradWeight += got.gradWeight;
            gradBias += got.gradBias;
        }
        QVERIFY2(relDiff(gradWeight, ref.gradWeight) <= 1e-4, qPrintable(QString::number(relDiff(gradWeight, ref.gradWeight))));
        QVERIFY2(relDiff(gradBias, ref.gradBias) <= 1e-4, qPrintable(QString::number(relDiff(gradBias, ref.gradBias))));
        // The shares' own statistics differ from the batch's: without the sync this test fails.
        const Step alone = wholeBatchReference(x.narrow(0, 0, shares.front()), r.narrow(0, 0, shares.front()), s);
        QVERIFY(maxDiff(alone.y, ref.y.narrow(0, 0, shares.front())) > 1e-2);
    }

    // ConvBn in train mode inside the scope: two ranks give what one ConvBn gives on the whole
    // batch (the scope around the forward only, as the trainer opens it).
    void convBnInScopeIsTheWholeBatch()
    {
        ConvBn whole(convOptions());
        std::vector<ConvBn> ranks{ConvBn(convOptions()), ConvBn(convOptions())};
        for (auto& m : ranks) copyModule(*whole, *m);
        const auto x = batch(6, kChannels, 8, 8).contiguous(torch::MemoryFormat::ChannelsLast);
        const auto r = torch::randn({6, 4, 8, 8});
        const auto xw = x.detach().requires_grad_();
        const auto yw = whole(xw);
        (yw * r).sum().backward();

        std::vector<torch::Tensor> ys(2), gradX(2);
        const auto errors = runRanks(2, [&](ThreadReplicas& replicas) {
            const auto k = static_cast<std::size_t>(replicas.rank());
            const auto xk = x.narrow(0, 3 * replicas.rank(), 3).detach().requires_grad_();
            torch::Tensor y;
            {
                SyncBatchNormScope scope(&replicas);
                y = ranks[k](xk);
            }
            (y * r.narrow(0, 3 * replicas.rank(), 3)).sum().backward();
            ys[k] = y.detach();
            gradX[k] = xk.grad();
        });
        QVERIFY2(errors[0].empty() && errors[1].empty(), (errors[0] + errors[1]).c_str());
        EXPECT_CLOSE(torch::cat(ys), yw.detach(), 1e-5);
        EXPECT_CLOSE(torch::cat(gradX), xw.grad(), 1e-5);
        auto wholeParams = whole->named_parameters();
        for (const auto& p : ranks[0]->named_parameters()) {
            const auto summed = p.value().grad() + ranks[1]->named_parameters()[p.key()].grad();
            QVERIFY2(relDiff(summed, wholeParams[p.key()].grad()) <= 1e-4, p.key().c_str());
        }
        auto wholeBuffers = whole->named_buffers();
        for (const auto& m : ranks)
            for (const auto& b : m->named_buffers()) EXPECT_CLOSE(b.value(), wholeBuffers[b.key()], 1e-5);
    }

    // Outside any scope, and in eval mode inside one, ConvBn is the plain conv -> bn -> relu.
    void convBnOutsideScopeIsUnchanged()
    {
        ConvBn m(convOptions());
        const auto x = batch(2, kChannels, 6, 6);
        auto params = m->named_parameters();
        auto buffers = m->named_buffers();
        auto mean = buffers["bn.running_mean"].clone(), var = buffers["bn.running_var"].clone();
        const auto expected = torch::relu(torch::batch_norm(torch::conv2d(x, params["conv.weight"], {}, {1, 1}, {1, 1}), params["bn.weight"], params["bn.bias"],
                                                            mean, var, /*training=*/true, kBnMomentum, kBnEps, /*cudnn_enabled=*/false));
        QVERIFY(torch::equal(m(x), expected));
        QVERIFY(torch::equal(buffers["bn.running_mean"], mean));

        ThreadGroup group(1);
        ThreadReplicas replicas(group, 0);
        SyncBatchNormScope scope(&replicas);
        m->eval();
        const auto inEval = m(x);  // grad enabled: the unfolded path, running statistics
        QCOMPARE(replicas.sums(), 0);
        m->train();
        const auto inTrain = m(x);
        QCOMPARE(replicas.sums(), 1);
        EXPECT_CLOSE(inTrain, expected, 1e-5);
        QVERIFY(maxDiff(inEval, inTrain) > 1e-2);
    }

    // bf16 autocast: the conv's bf16 output normalised with fp32 statistics, bf16 out.
    void bf16UnderAutocast()
    {
        if (!cpuHasNativeBf16()) QSKIP("this CPU has no native bf16 (AMX or AVX-512 BF16): CariLab refuses bf16 here");
        ConvBn whole(convOptions());
        std::vector<ConvBn> ranks{ConvBn(convOptions()), ConvBn(convOptions())};
        for (auto& m : ranks) copyModule(*whole, *m);
        const auto x = batch(6, kChannels, 8, 8).contiguous(torch::MemoryFormat::ChannelsLast);
        const auto yw = whole(x).detach();
        std::vector<torch::Tensor> ys(2);
        const auto errors = runRanks(2, [&](ThreadReplicas& replicas) {
            const auto k = static_cast<std::size_t>(replicas.rank());
            PrecisionScope bf16(Precision::Bf16, torch::kCPU);
            SyncBatchNormScope scope(&replicas);
            const auto xk = x.narrow(0, 3 * replicas.rank(), 3).detach().requires_grad_();
            const auto y = ranks[k](xk);
            y.sum().backward();
            ys[k] = y.detach();
        });
        QVERIFY2(errors[0].empty() && errors[1].empty(), (errors[0] + errors[1]).c_str());
        QCOMPARE(ys[0].scalar_type(), torch::kBFloat16);
        // bf16 keeps 8 bits of mantissa: outputs of a few units agree to a few hundredths.
        EXPECT_CLOSE(torch::cat(ys), yw, 5e-2);
        auto wholeBuffers = whole->named_buffers();
        for (const auto& b : ranks[0]->named_buffers()) QVERIFY2(relDiff(b.value(), wholeBuffers[b.key()]) <= 2e-2, b.key().c_str());
    }
};

QTEST_GUILESS_MAIN(TestSyncBatchNorm)
#include "test_sync_batch_norm.moc"
