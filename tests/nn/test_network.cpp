// The network's shapes, centre loss, task losses and verification metrics.
#include "eval/verification_metrics.h"
#include "nn/center_loss.h"
#include "nn/loss_scaler.h"
#include "nn/multitask_net.h"
#include "nn/task_losses.h"

#include <QtTest/QtTest>

#include <cmath>

using namespace carilab::nn;
using namespace carilab::eval;

namespace {

// The two backbones at their own input sizes: the rows of every per-backbone check here.
void addBackboneRows()
{
    QTest::addColumn<QString>("backbone");
    QTest::addColumn<int>("input");
    QTest::newRow("tiny") << QStringLiteral("tiny") << 64;
    QTest::newRow("inception-resnet-v1") << QStringLiteral("inception-resnet-v1") << 160;
}

}  // namespace

class TestNetwork final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { torch::manual_seed(1); }

    void shapes_data()
    {
        QTest::addColumn<QString>("backbone");
        QTest::addColumn<int>("input");
        QTest::addColumn<int>("zDim");
        QTest::addColumn<int>("embedding");
        QTest::newRow("tiny") << QStringLiteral("tiny") << 64 << 64 * 8 * 8 << 128;
        // The official slim Inception-ResNet-v1: Mixed_7a is 3x3x1792 at 160 px.
        QTest::newRow("inception-resnet-v1") << QStringLiteral("inception-resnet-v1") << 160 << 3 * 3 * 1792 << 1792;
    }

    void shapes()
    {
        QFETCH(QString, backbone);
        QFETCH(int, input);
        QFETCH(int, zDim);
        QFETCH(int, embedding);
        MultiTaskOptions o;
        o.backbone = backbone.toStdString();
        o.numClasses = 7;
        MultiTaskNet net(o);
        QCOMPARE(int(net->info().zDim), zDim);
        QCOMPARE(int(net->info().embeddingDim), embedding);
        net->eval();
        torch::NoGradGuard ng;
        auto out = net->forward(torch::randn({2, 3, input, input}));
        QCOMPARE(int(out.z.size(1)), zDim);
        for (int t = 0; t < kNumTasks; ++t) {
            QCOMPARE(int(out.embeddings[t].size(1)), embedding);
            QCOMPARE(int(out.logits[t].size(1)), 7);
        }
        auto e = net->embed(torch::randn({3, 3, input, input}));
        QCOMPARE(int(e.size(0)), 3);
        QVERIFY(torch::allclose(e.norm(2, 1), torch::ones({3}), 1e-4, 1e-4));
        QVERIFY(!net->lastSharedParameters().empty());
        // Every branch has its own weights: three distinct embeddings of the same input.
        QVERIFY(!torch::allclose(out.embeddings[0], out.embeddings[1]));
    }

    // Inference folds batch norm into the convolutions: the same outputs as conv -> bn (eval
    // mode with autograd on runs the unfolded path), and the folded weights follow the network
    // when training moves it on.
    void batchNormFoldingMatchesConvBn_data() { addBackboneRows(); }

    void batchNormFoldingMatchesConvBn()
    {
        QFETCH(QString, backbone);
        QFETCH(int, input);
        MultiTaskOptions o;
        o.backbone = backbone.toStdString();
        o.numClasses = 5;
        MultiTaskNet net(o);
        // Non-trivial running statistics and affine parameters, as after training.
        net->train();
        {
            torch::NoGradGuard ng;
            for (int i = 0; i < 3; ++i) net->forward(torch::randn({4, 3, input, input}) * 2 + 0.5);
            for (auto& p : net->named_parameters())
                if (p.key().find("bn.") != std::string::npos) p.value().add_(torch::randn_like(p.value()) * 0.2);
        }
        net->eval();
        const auto x = torch::randn({3, 3, input, input});
        auto check = [&](const char* when) {
            torch::Tensor unfolded, folded;
            unfolded = net->embed(x).detach();  // autograd on: conv -> bn
            {
                torch::NoGradGuard ng;
                folded = net->embed(x);
            }
            const double diff = (unfolded - folded).abs().max().item<double>();
            QVERIFY2(diff < 1e-4, qPrintable(QStringLiteral("%1: folded and unfolded embeddings differ by %2").arg(when).arg(diff)));
        };
        check("first");
        // A training step moves weights and statistics; the next inference must not reuse the
        // old folded copy.
        net->train();
        torch::optim::SGD opt(net->parameters(), torch::optim::SGDOptions(0.5));
        opt.zero_grad();
        net->embed(torch::randn({4, 3, input, input})).pow(2).sum().backward();
        opt.step();
        net->eval();
        check("after a training step");
    }

    // Channels-last is a layout, not a different network: the same weights give the same
    // outputs and gradients as plain NCHW, in training and in (folded) inference.
    void channelsLastMatchesNchw_data() { addBackboneRows(); }

    void channelsLastMatchesNchw()
    {
        QFETCH(QString, backbone);
        QFETCH(int, input);
        auto make = [&](bool channelsLast) {
            MultiTaskOptions o;
            o.backbone = backbone.toStdString();
            o.numClasses = 5;
            o.dropout = 0.0;
            o.channelsLast = channelsLast;
            torch::manual_seed(7);
            return MultiTaskNet(o);
        };
        MultiTaskNet cl = make(true), plain = make(false), exact = make(false);
        exact->to(torch::kFloat64);
        const auto convWeight = [](MultiTaskNet& n) {
            for (auto& p : n->parameters())
                if (p.dim() == 4) return p;
            return torch::Tensor();
        };
        QVERIFY(convWeight(cl).is_contiguous(torch::MemoryFormat::ChannelsLast));
        QVERIFY(!convWeight(cl).is_contiguous());
        QVERIFY(convWeight(plain).is_contiguous());
        const auto x = torch::randn({4, 3, input, input});
        const auto labels = torch::tensor(std::vector<std::int64_t>{0, 1, 2, 3});
        auto run = [&](MultiTaskNet& n, const torch::Tensor& in) {
            auto out = n->forward(in);
            torch::nn::functional::cross_entropy(out.logits[0] + out.logits[2], labels).backward();
            return out;
        };
        auto a = run(cl, x), b = run(plain, x), ref = run(exact, x.to(torch::kFloat64));
        QVERIFY(a.sharedMap.is_contiguous(torch::MemoryFormat::ChannelsLast));
        for (int t = 0; t < kNumTasks; ++t) QVERIFY(torch::allclose(a.logits[t], b.logits[t], 1e-4, 1e-4));
        QVERIFY(torch::allclose(a.z, b.z, 1e-4, 1e-4));
        // Gradients: LibTorch's channels-last batch-norm backward accumulates less precisely than
        // its NCHW kernel (~10x the error on one 64x40x40 layer against float64), and train-mode
        // batch norm over 4 images at 3x3 cancels heavily,
        // so some layers' float32 gradients sit up to ~3e-2 (relative norm) from float64 where
        // NCHW's sit ~1e-3 — SGD noise is far larger. A wrong stride or layout would be O(1).
        const auto ga = cl->parameters(), gb = plain->parameters(), gr = exact->parameters();
        for (size_t i = 0; i < ga.size(); ++i) {
            if (!gr[i].grad().defined()) continue;
            const auto g64 = gr[i].grad();
            auto err = [&](const torch::Tensor& g) { return ((g.to(torch::kFloat64) - g64).norm() / (g64.norm() + 1e-12)).item<double>(); };
            const double errCl = err(ga[i].grad()), errPlain = err(gb[i].grad());
            QVERIFY2(errCl < 5e-2,
                     qPrintable(QStringLiteral("parameter %1: channels-last gradient %2 from float64, NCHW %3").arg(i).arg(errCl).arg(errPlain)));
        }
        cl->eval();
        plain->eval();
        torch::NoGradGuard ng;
        QVERIFY(torch::allclose(cl->embed(x), plain->embed(x), 1e-4, 1e-4));
    }

    // fp16's loss scaler: the gradients come back unscaled, an overflow skips the step and
    // halves the scale, growthInterval clean steps double it.
    void lossScalerUnscalesSkipsAndGrows()
    {
        using carilab::nn::LossScaler;
        LossScaler s({/*initScale=*/8.0, /*growthFactor=*/2.0, /*backoffFactor=*/0.5, /*growthInterval=*/3});
        auto p = torch::ones({2}, torch::requires_grad());
        s.scale((p * p).sum()).backward();
        QCOMPARE(p.grad()[0].item<double>(), 16.0);  // 2 p x 8
        QVERIFY(s.unscale({p}));
        QCOMPARE(p.grad()[0].item<double>(), 2.0);
        for (int i = 0; i < 3; ++i) s.update(true);
        QCOMPARE(s.value(), 16.0);
        p.mutable_grad().fill_(std::numeric_limits<float>::infinity());
        QVERIFY(!s.unscale({p}));
        s.update(false);
        QCOMPARE(s.value(), 8.0);
        QCOMPARE(s.skippedSteps(), 1LL);
        auto noGrad = torch::ones({1}, torch::requires_grad());  // never backpropagated: no gradient to check
        QVERIFY(s.unscale({noGrad}));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, LossScaler({8.0, 1.0, 0.5, 3}));
    }

    // bf16 inference (autocast, bf16 copies of the folded weights) is the same network: its
    // embeddings agree with fp32, come back as fp32, and it leaves no autocast state behind.
    void bf16InferenceAgreesWithFp32_data() { addBackboneRows(); }

    void bf16InferenceAgreesWithFp32()
    {
        QFETCH(QString, backbone);
        QFETCH(int, input);
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, parsePrecision("fp8"));
        QCOMPARE(precisionName(parsePrecision("fp16")), "fp16");
        // fp16 is CUDA's: refused on a CPU with what to use instead.
        try {
            checkPrecisionSupported(Precision::Fp16, torch::kCPU);
            QFAIL("fp16 accepted on a CPU");
        } catch (const std::invalid_argument& e) {
            QVERIFY(std::string(e.what()).find("CUDA only") != std::string::npos);
        }
        if (!cpuHasNativeBf16()) {
            QVERIFY_THROWS_EXCEPTION(std::invalid_argument, checkPrecisionSupported(Precision::Bf16, torch::kCPU));
            QSKIP("this CPU has neither AMX nor AVX-512 BF16");
        }
        MultiTaskOptions o;
        o.backbone = backbone.toStdString();
        o.numClasses = 9;
        MultiTaskNet net(o);
        net->train();
        {
            torch::NoGradGuard ng;  // running statistics as after some training
            for (int i = 0; i < 3; ++i) net->forward(torch::randn({4, 3, input, input}));
        }
        net->eval();
        torch::NoGradGuard ng;
        const auto x = torch::randn({6, 3, input, input});
        const auto isCari = torch::tensor(std::vector<std::int64_t>{1, 0, 0, 1, 1, 0}).to(torch::kBool);
        const auto e32 = net->embed(x);
        const auto p32 = net->predict(x, isCari);
        net->setInferencePrecision(Precision::Bf16);
        const auto e16 = net->embed(x);
        const auto p16 = net->predict(x, isCari);
        QCOMPARE(e16.scalar_type(), torch::kFloat32);
        QCOMPARE(p16.embedding.scalar_type(), torch::kFloat32);
        QVERIFY(!cpuAutocastBf16());  // the scope ended with the call
        const double minCos = (e32 * e16).sum(1).min().item<double>();
        qInfo("%s: fp32 vs bf16 embeddings, lowest cosine %.5f", qPrintable(backbone), minCos);
        QVERIFY2(minCos > 0.995, qPrintable(QString::number(minCos)));
        QVERIFY(torch::allclose(p16.embedding, e16, 1e-5, 1e-5));
        QCOMPARE(p16.predicted.scalar_type(), p32.predicted.scalar_type());
        // Training stays fp32 whatever the inference setting.
        net->train();
        torch::GradMode::set_enabled(true);
        const auto out = net->forward(x);
        torch::GradMode::set_enabled(false);
        QCOMPARE(out.embeddings[kVerification].scalar_type(), torch::kFloat32);
    }

    // predict() runs branch 1 and each image's own branch only; it must agree with forward().
    void predictAgreesWithForward()
    {
        MultiTaskOptions o;
        o.backbone = "tiny";
        o.numClasses = 7;
        MultiTaskNet net(o);
        net->eval();
        torch::NoGradGuard ng;
        const auto x = torch::randn({6, 3, 64, 64});
        const auto isCari = torch::tensor(std::vector<std::int64_t>{1, 0, 0, 1, 1, 0}).to(torch::kBool);
        const auto p = net->predict(x, isCari);
        const auto f = net->forward(x);
        const auto e = torch::nn::functional::normalize(f.embeddings[kVerification], torch::nn::functional::NormalizeFuncOptions().dim(1));
        QVERIFY(torch::allclose(p.embedding, e, 1e-5, 1e-5));
        QCOMPARE(p.predicted.size(0), 6);
        for (int i = 0; i < 6; ++i) {
            const bool c = isCari[i].item<bool>();
            QCOMPARE(p.predicted[i][kVerification].item<std::int64_t>(), f.logits[kVerification][i].argmax().item<std::int64_t>());
            const int own = c ? kCaricature : kVisual, other = c ? kVisual : kCaricature;
            QCOMPARE(p.predicted[i][own].item<std::int64_t>(), f.logits[own][i].argmax().item<std::int64_t>());
            QCOMPARE(p.predicted[i][other].item<std::int64_t>(), std::int64_t(-1));
        }
        // All of one modality: the other branch does not run at all.
        const auto allPhotos = net->predict(x, torch::zeros({6}, torch::kBool));
        QVERIFY((allPhotos.predicted.select(1, kCaricature) == -1).all().item<bool>());
    }

    // Test-time mirror averaging: the mean of the two views' unit embeddings (and summed logits),
    // so an image and its mirror get the same embedding and the same predictions.
    void mirrorAverageIsFlipInvariant()
    {
        MultiTaskOptions o;
        o.backbone = "tiny";
        o.numClasses = 7;
        MultiTaskNet net(o);
        net->eval();
        torch::NoGradGuard ng;
        const auto x = torch::randn({4, 3, 64, 64});
        const auto mirrored = x.flip({3});
        const auto isCari = torch::tensor(std::vector<std::int64_t>{1, 0, 1, 0}).to(torch::kBool);
        const auto unit = [](const torch::Tensor& t) { return torch::nn::functional::normalize(t, torch::nn::functional::NormalizeFuncOptions().dim(1)); };
        const auto expect = unit(net->embed(x) + net->embed(mirrored));
        const auto e = net->embed(x, TestViews{true, {}});
        QVERIFY(torch::allclose(e, expect, 1e-5, 1e-5));
        QVERIFY(torch::allclose(net->embed(mirrored, TestViews{true, {}}), e, 1e-5, 1e-5));
        QVERIFY(!torch::allclose(net->embed(x), e, 1e-3, 1e-3));  // the mirror did change something
        const auto p = net->predict(x, isCari, TestViews{true, {}}), pm = net->predict(mirrored, isCari, TestViews{true, {}});
        QVERIFY(torch::allclose(p.embedding, e, 1e-5, 1e-5));
        QVERIFY(torch::equal(p.predicted, pm.predicted));
        const auto f = net->forward(x), fm = net->forward(mirrored);
        for (int i = 0; i < 4; ++i) {
            const int own = isCari[i].item<bool>() ? kCaricature : kVisual;
            const auto summed = f.logits[own][i] + fm.logits[own][i];
            QCOMPARE(p.predicted[i][own].item<std::int64_t>(), summed.argmax().item<std::int64_t>());
        }
    }

    // Zoomed-out views: the crop shrunk about its centre with its edge repeated, one more view
    // per scale (two with the mirror), combined like the mirror's.
    void zoomOutViews()
    {
        TestViews views{true, {1.1, 1.25}};
        QCOMPARE(views.count(), 6LL);
        QCOMPARE(viewsSuffix(views), std::string("+mirror+zoom1.1+zoom1.25"));
        QCOMPARE(viewsSuffix(TestViews{}), std::string());
        for (double bad : {1.0, 0.9, 2.5}) QVERIFY_THROWS_EXCEPTION(std::invalid_argument, validate(TestViews{false, {bad}}));
        const auto x = torch::rand({2, 3, 40, 40});
        const auto all = expandViews(x, views);
        QCOMPARE(all.size(0), 12LL);
        QVERIFY(torch::equal(all.narrow(0, 0, 2), x));
        QVERIFY(torch::equal(all.narrow(0, 2, 2), x.flip({3})));
        QVERIFY(torch::equal(all.narrow(0, 6, 2), all.narrow(0, 4, 2).flip({3})));
        // 40 / 1.25 = 32 pixels of image in the middle, 4 repeated edge pixels on each side.
        const auto z = all.narrow(0, 8, 2);
        QVERIFY(torch::equal(z.narrow(3, 0, 4), z.narrow(3, 4, 1).expand({2, 3, 40, 4})));
        QVERIFY(torch::equal(z.narrow(2, 36, 4), z.narrow(2, 35, 1).expand({2, 3, 4, 40})));
        QVERIFY(!torch::allclose(z, x));
        const auto flat = torch::full({1, 3, 40, 40}, 0.25);
        QVERIFY(torch::allclose(expandViews(flat, TestViews{false, {1.1}}).narrow(0, 1, 1), flat));  // no new content
        QVERIFY(torch::equal(viewRows(torch::tensor({1, 3}), 4, 3), torch::tensor({1, 3, 5, 7, 9, 11})));

        MultiTaskOptions o;
        o.backbone = "tiny";
        o.numClasses = 7;
        MultiTaskNet net(o);
        net->eval();
        torch::NoGradGuard ng;
        const auto images = torch::randn({4, 3, 64, 64});
        const auto isCari = torch::tensor(std::vector<std::int64_t>{1, 0, 1, 0}).to(torch::kBool);
        const TestViews zoom{false, {1.1}};
        const auto unit = [](const torch::Tensor& t) { return torch::nn::functional::normalize(t, torch::nn::functional::NormalizeFuncOptions().dim(1)); };
        const auto zoomed = expandViews(images, zoom).narrow(0, 4, 4);
        const auto e = net->embed(images, zoom);
        QVERIFY(torch::allclose(e, unit(net->embed(images) + net->embed(zoomed)), 1e-5, 1e-5));
        QVERIFY(!torch::allclose(e, net->embed(images), 1e-3, 1e-3));
        const auto p = net->predict(images, isCari, zoom);
        QVERIFY(torch::allclose(p.embedding, e, 1e-5, 1e-5));
        const auto f = net->forward(images), fz = net->forward(zoomed);
        for (int i = 0; i < 4; ++i) {
            const int own = isCari[i].item<bool>() ? kCaricature : kVisual;
            QCOMPARE(p.predicted[i][own].item<std::int64_t>(), (f.logits[own][i] + fz.logits[own][i]).argmax().item<std::int64_t>());
        }
    }

    void unknownBackboneIsAClearError()
    {
        MultiTaskOptions o;
        o.backbone = "resnet-9000";
        o.numClasses = 3;
        try {
            MultiTaskNet net(o);
            QFAIL("expected an exception");
        } catch (const std::invalid_argument& e) {
            QVERIFY(std::string(e.what()).find("tiny") != std::string::npos);
        }
    }

    // c_y <- c_y - (1 - alpha)(c_y - x) / n_y, by hand.
    void centerLossUpdate()
    {
        CenterLoss c(3, 2, 0.5);
        auto x = torch::tensor({{1.0f, 0.0f}, {0.0f, 1.0f}, {1.0f, 1.0f}});
        auto y = torch::tensor({0, 0, 2}, torch::kInt64);
        auto l = c(x, y);
        QVERIFY(torch::allclose(l, torch::tensor({0.5f, 0.5f, 1.0f})));
        c->updateCenters(x, y);
        // class 0: two samples, each moves 0.5*(0 - x)/2 -> centre = 0.25*(x1 + x2)
        QVERIFY(torch::allclose(c->centers()[0], torch::tensor({0.25f, 0.25f})));
        QVERIFY(torch::allclose(c->centers()[1], torch::tensor({0.0f, 0.0f})));
        QVERIFY(torch::allclose(c->centers()[2], torch::tensor({0.5f, 0.5f})));
    }

    void taskLossesMaskByModality()
    {
        MultiTaskOptions o;
        o.numClasses = 4;
        MultiTaskNet net(o);
        CenterLoss center(4, net->info().embeddingDim);
        auto out = net->forward(torch::randn({6, 3, 64, 64}));
        auto labels = torch::tensor({0, 1, 2, 3, 0, 1}, torch::kInt64);
        auto cari = torch::tensor({true, false, true, false, false, false});
        TaskLossOptions tlo{0.0, true, {}};
        auto tl = computeTaskLosses(out, labels, cari, center, tlo);
        QCOMPARE(tl.caricatures, 2LL);
        QCOMPARE(tl.photos, 4LL);
        const auto ceC =
            torch::nn::functional::cross_entropy(out.logits[kCaricature].index({torch::tensor({0, 2})}), torch::tensor({0, 2}, torch::kInt64));
        const auto ceV = torch::nn::functional::cross_entropy(out.logits[kVisual].index({torch::tensor({1, 3, 4, 5})}),
                                                              torch::tensor({1, 3, 0, 1}, torch::kInt64));
        const auto ceAll = torch::nn::functional::cross_entropy(out.logits[kVerification], labels);
        QVERIFY(torch::allclose(tl.losses[kCaricature], ceC));
        QVERIFY(torch::allclose(tl.losses[kVisual], ceV));
        QVERIFY(torch::allclose(tl.losses[kVerification], ceAll));
        // A batch without caricatures: zero caricature loss that still backpropagates.
        // The option that lets the caricature head learn from photos too: its loss is over all rows.
        TaskLossOptions withPhotos = tlo;
        withPhotos.idHead.caricatureHeadOnPhotos = true;
        const auto all = computeTaskLosses(out, labels, cari, center, withPhotos);
        QVERIFY(torch::allclose(all.losses[kCaricature], torch::nn::functional::cross_entropy(out.logits[kCaricature], labels)));
        QVERIFY(torch::allclose(all.losses[kVisual], ceV));
        // Label smoothing softens the two identification heads' targets, not verification's.
        TaskLossOptions smooth = tlo;
        smooth.idHead.labelSmoothing = 0.2;
        const auto soft = computeTaskLosses(out, labels, cari, center, smooth);
        const auto smoothCe = [](const torch::Tensor& logits, const torch::Tensor& y) {
            const auto logp = torch::log_softmax(logits, 1);
            return (0.8 * -logp.gather(1, y.unsqueeze(1)).squeeze(1) + 0.2 * -logp.mean(1)).mean();
        };
        QVERIFY(torch::allclose(soft.losses[kCaricature], smoothCe(out.logits[kCaricature].index({torch::tensor({0, 2})}), torch::tensor({0, 2}, torch::kInt64))));
        QVERIFY(torch::allclose(soft.losses[kVisual], smoothCe(out.logits[kVisual].index({torch::tensor({1, 3, 4, 5})}), torch::tensor({1, 3, 0, 1}, torch::kInt64))));
        QVERIFY(!torch::allclose(soft.losses[kCaricature], ceC));
        QVERIFY(torch::allclose(soft.losses[kVerification], ceAll));
        auto none = computeTaskLosses(out, labels, torch::zeros({6}, torch::kBool), center, tlo);
        QCOMPARE(none.losses[kCaricature].item<double>(), 0.0);
        none.losses.sum().backward();
    }

    // CosFace: logits are s * cos(W_j, x); the loss takes s * m off the true class only.
    void cosineHeadLogitsAndMargin()
    {
        MultiTaskOptions o;
        o.numClasses = 5;
        o.idHead.kind = IdentityHeadKind::CosFace;
        o.idHead.scale = 10.0;
        o.idHead.margin = 0.25;
        MultiTaskNet net(o);
        QCOMPARE(net->groupParameters(ParamGroup::Heads).size(), size_t(3));  // a weight per head, no bias
        auto out = net->forward(torch::randn({6, 3, 64, 64}));
        const auto& logits = out.logits[kCaricature];
        QCOMPARE(logits.size(1), 5);
        QVERIFY(logits.abs().max().item<double>() <= 10.0 + 1e-4);  // |cos| <= 1
        // Scaling an embedding leaves its logits unchanged: only directions count.
        auto* head = net->named_children()["logits_caricature"].get();
        auto& cos = dynamic_cast<CosineHeadImpl&>(*head);
        const auto e = out.embeddings[kCaricature];
        QVERIFY(torch::allclose(cos.forward(e), cos.forward(3.0 * e), 1e-5, 1e-4));
        const auto labels = torch::tensor({0, 1, 2, 3, 4, 0}, torch::kInt64);
        const auto m = withMargin(logits, labels, o.idHead);
        const auto diff = (logits - m).detach();
        for (int i = 0; i < 6; ++i)
            for (int j = 0; j < 5; ++j) QCOMPARE(diff[i][j].item<float>(), j == labels[i].item<std::int64_t>() ? 2.5f : 0.0f);
        // The task loss is the cross-entropy of the margin logits; softmax heads are untouched.
        CenterLoss center(5, net->info().embeddingDim);
        const TaskLossOptions tlo{0.0, true, o.idHead};
        const auto tl = computeTaskLosses(out, labels, torch::ones({6}, torch::kBool), center, tlo);
        QVERIFY(torch::allclose(tl.losses[kCaricature], torch::nn::functional::cross_entropy(m, labels)));
        QVERIFY(tl.losses[kCaricature].item<double>() > torch::nn::functional::cross_entropy(logits, labels).item<double>());
        QVERIFY(torch::equal(withMargin(logits, labels, IdentityHeadOptions{}), logits));
        tl.losses.sum().backward();
        QVERIFY(cos.weight.grad().defined() && cos.weight.grad().abs().sum().item<double>() > 0);
    }

    void auc_data()
    {
        QTest::addColumn<QVector<double>>("scores");
        QTest::addColumn<QVector<int>>("labels");
        QTest::addColumn<double>("auc");
        QTest::newRow("perfect") << QVector<double>{0.9, 0.8, 0.2, 0.1} << QVector<int>{1, 1, 0, 0} << 1.0;
        QTest::newRow("inverted") << QVector<double>{0.1, 0.2, 0.8, 0.9} << QVector<int>{1, 1, 0, 0} << 0.0;
        QTest::newRow("all tied") << QVector<double>{0.5, 0.5, 0.5, 0.5} << QVector<int>{1, 0, 1, 0} << 0.5;
        // pos {0.8, 0.5}, neg {0.5, 0.2}: pairs (0.8>0.5)1 (0.8>0.2)1 (0.5=0.5)0.5 (0.5>0.2)1 -> 3.5/4
        QTest::newRow("one tie") << QVector<double>{0.8, 0.5, 0.5, 0.2} << QVector<int>{1, 1, 0, 0} << 0.875;
    }

    void auc()
    {
        QFETCH(QVector<double>, scores);
        QFETCH(QVector<int>, labels);
        QFETCH(double, auc);
        std::vector<Pair> p;
        for (int i = 0; i < scores.size(); ++i) p.push_back({scores[i], labels[i] == 1});
        QCOMPARE(rocAuc(p), auc);
    }

    void thresholdAndFolds()
    {
        std::vector<Pair> p = {{0.9, true}, {0.7, true}, {0.6, false}, {0.4, true}, {0.3, false}, {0.1, false}};
        const auto t = bestThreshold(p);
        QCOMPARE(t.accuracy, 5.0 / 6.0);
        // Ten folds over separable pairs give 100%; the threshold sits between the classes.
        std::vector<Pair> sep;
        for (int i = 0; i < 40; ++i) sep.push_back({i % 2 ? 0.8 + i * 1e-3 : 0.2 - i * 1e-3, i % 2 == 1});
        const auto f = kFoldAccuracy(sep, 10);
        QCOMPARE(int(f.perFold.size()), 10);
        QCOMPARE(f.mean, 1.0);
        QVERIFY(f.threshold > 0.2 && f.threshold < 0.8);
    }
};

QTEST_GUILESS_MAIN(TestNetwork)
#include "test_network.moc"
