// Gradient buckets averaged during the backward pass (nn/gradient_reducer.h), over real c10d
// process groups (Gloo over loopback, two ranks as two threads of this process) and over the
// tests' thread ranks (no overlap): the gradients equal the mean of the ranks' own gradients,
// a parameter one rank did not use counts as zeros there, buckets start in the backward pass
// and in the same order on every rank, even while the backward pass runs collectives of its
// own (as sync-BN does), and backward passes the reducer is not armed for pass untouched.
#include "dist/process_group_replicas.h"
#include "nn/gradient_reducer.h"
#include "test_support.h"
#include "thread_replicas.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <thread>

#include <QtTest/QtTest>

using namespace carilab;

// Named, not anonymous: the test's lambdas capture these types.
namespace reducer_test {

// Identity forward; backward sums the incoming gradient over the ranks, like sync-BN's backward:
// a collective on the main channel in the middle of the backward pass.
struct SumInBackward : torch::autograd::Function<SumInBackward> {
    static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, std::int64_t replicas)
    {
        ctx->saved_data["replicas"] = replicas;
        return x.clone();
    }
    static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::tensor_list grads)
    {
        auto* r = reinterpret_cast<nn::Replicas*>(static_cast<std::intptr_t>(ctx->saved_data["replicas"].toInt()));
        std::vector<torch::Tensor> g{grads[0].clone()};
        r->sum(g);
        return {g[0], torch::Tensor()};
    }
};

// Five parameters; the last one (first in backward order) only rank 0 uses.
struct Net {
    std::vector<torch::Tensor> params;
    Net()
    {
        auto gen = at::detail::createCPUGenerator(7);  // not the global one: ranks are threads here
        for (auto shape : std::vector<std::vector<std::int64_t>>{{8, 6}, {8}, {4, 8}, {4}, {4, 8}})
            params.push_back(torch::randn(shape, gen, torch::kDouble).requires_grad_());
    }
    void clear()
    {
        for (auto& p : params) p.mutable_grad() = torch::Tensor();
    }
    void backward(nn::Replicas& r)
    {
        auto gen = at::detail::createCPUGenerator(static_cast<std::uint64_t>(100 + r.rank()));  // each rank its own batch
        const auto x = torch::randn({5, 6}, gen, torch::kDouble);
        auto h = torch::relu(torch::addmm(params[1], x, params[0].t()));
        h = SumInBackward::apply(h, static_cast<std::int64_t>(reinterpret_cast<std::intptr_t>(&r)));
        auto loss = torch::addmm(params[3], h, params[2].t()).pow(2).mean();
        if (r.rank() == 0) loss = loss + 0.1 * torch::mm(h, params[4].t()).sum();
        loss.backward();
    }
    std::vector<torch::Tensor> grads() const
    {
        std::vector<torch::Tensor> g;
        for (const auto& p : params) g.push_back(p.grad().defined() ? p.grad().clone() : torch::Tensor());
        return g;
    }
};

struct RankResult {
    std::vector<torch::Tensor> local, localWithHooks, expected, reduced;
    int buckets = 0, startedEarly = 0;
};

// What one rank does: its own gradients (without and with the reducer's hooks, unarmed), the
// mean the plain averaging gives, and the reducer's.
RankResult exercise(nn::Replicas& r)
{
    Net net;
    RankResult out;
    net.backward(r);
    out.local = net.grads();
    net.clear();
    nn::GradientReducer reducer(net.params, r, nn::GradientBucketSizes{1, 1});  // a bucket per parameter
    net.backward(r);
    out.localWithHooks = net.grads();
    r.averageGradients(net.params);
    out.expected = net.grads();
    net.clear();
    reducer.arm();
    net.backward(r);
    reducer.finish();
    out.reduced = net.grads();
    out.buckets = reducer.buckets();
    out.startedEarly = reducer.startedDuringBackward();
    return out;
}

std::vector<RankResult> overProcessGroups()
{
    const int port = test::freeLoopbackPort();
    std::vector<RankResult> results(2);
    std::vector<std::string> errors(2);
    std::vector<std::thread> ranks;
    for (int rank = 0; rank < 2; ++rank)
        ranks.emplace_back([&, rank] {
            try {
                dist::LaunchEnv env;
                env.rank = rank;
                env.worldSize = 2;
                env.localRank = rank;
                env.localWorldSize = 2;
                env.masterPort = port;
                auto r = dist::ProcessGroupReplicas::connect(env, dist::Backend::Gloo, std::chrono::seconds(20));
                results[static_cast<size_t>(rank)] = exercise(*r);
                r->barrier(std::chrono::seconds(60));  // rank 0 holds the store: it must outlive rank 1's use of it
            } catch (const std::exception& e) {
                errors[static_cast<size_t>(rank)] = e.what();
            }
        });
    for (auto& t : ranks) t.join();
    for (int rank = 0; rank < 2; ++rank)
        if (!errors[static_cast<size_t>(rank)].empty())
            throw std::runtime_error("rank " + std::to_string(rank) + ": " + errors[static_cast<size_t>(rank)]);
    return results;
}

bool same(const torch::Tensor& a, const torch::Tensor& b) { return a.defined() == b.defined() && (!a.defined() || torch::equal(a, b)); }

void checkMeans(const std::vector<RankResult>& results)
{
    for (size_t rank = 0; rank < results.size(); ++rank) {
        const RankResult& r = results[rank];
        QCOMPARE(r.reduced.size(), std::size_t(5));
        for (size_t i = 0; i < 5; ++i) {
            QVERIFY2(same(r.localWithHooks[i], r.local[i]), qPrintable(QString("rank %1 param %2: an unarmed backward changed").arg(rank).arg(i)));
            QVERIFY2(r.reduced[i].defined(), "every parameter ends with a gradient");
            QVERIFY2(torch::equal(r.reduced[i], r.expected[i]), qPrintable(QString("rank %1 param %2 is not the mean").arg(rank).arg(i)));
            QVERIFY(torch::equal(r.reduced[i], results[0].reduced[i]));  // the same bits on every rank
        }
    }
    // The ranks' own gradients differ (their batches do), and rank 1 has none for the head
    // only rank 0 uses: the mean is half of rank 0's there.
    QVERIFY(!torch::equal(results[0].local[0], results[1].local[0]));
    QVERIFY(!results[1].local[4].defined());
    QVERIFY(torch::allclose(results[1].reduced[4], results[0].local[4] / 2));
}

}  // namespace reducer_test

using namespace reducer_test;

class TestGradientReducer : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void overlapsTheBackwardPassOverGloo()
    {
        std::vector<RankResult> results;
        try {
            results = overProcessGroups();
        } catch (const std::exception& e) {
            QFAIL(e.what());
        }
        checkMeans(results);
        QCOMPARE(results[0].buckets, 5);
        // Rank 0 has every gradient before its backward pass ends: all buckets start in it.
        // Rank 1's first bucket (the head it does not use) is complete only in finish(), and
        // the buckets after it wait for it: none starts early, and yet the orders agree.
        QCOMPARE(results[0].startedEarly, 5);
        QCOMPARE(results[1].startedEarly, 0);
    }

    void sumsAfterTheBackwardPassWithoutAChannelOfItsOwn()
    {
        std::vector<RankResult> results(2);
        const auto errors = test::runRanks(2, [&](test::ThreadReplicas& r) { results[static_cast<size_t>(r.rank())] = exercise(r); });
        for (const auto& e : errors) QVERIFY2(e.empty(), e.c_str());
        checkMeans(results);
        QCOMPARE(results[0].startedEarly, 0);
    }

    void bucketsFollowTheSizes()
    {
        test::ThreadGroup group(1);
        test::ThreadReplicas one(group, 0);
        Net net;
        // In backward order, bytes: head 256 + b2 32 fill the first bucket (300); W2 256 + b1 64
        // the next (400); W1 384 one of its own.
        QCOMPARE(nn::GradientReducer(net.params, one, nn::GradientBucketSizes{300, 400}).buckets(), 3);
        QCOMPARE(nn::GradientReducer(net.params, one, nn::GradientBucketSizes{1 << 20, 1 << 20}).buckets(), 1);
        QCOMPARE(nn::GradientReducer(net.params, one, nn::GradientBucketSizes{1, 1}).buckets(), 5);
    }
};

QTEST_GUILESS_MAIN(TestGradientReducer)
#include "test_gradient_reducer.moc"
