// The benchmark machinery: the FLOP counter against hand-computed counts, and one short real
// run of the bench runner (tiny backbone, CariSynth) whose every figure must be finite and
// positive. Speed itself is never asserted: figures come from `carilab-cli bench`, not tests.
#include "data/carisynth.h"
#include "perf/bench_runner.h"
#include "perf/flop_count.h"
#include "perf/runtime_settings.h"
#include "process_launcher.h"
#include "run/trainer.h"
#include "test_support.h"

#include <QtTest/QtTest>

#include <cmath>

using namespace carilab;

namespace {

// Every number the report promises, as JSON pointers; each must be present, finite and > 0.
const char* const kPositiveFigures[] = {
    "/flops/forward_per_image/total",
    "/flops/forward_per_image/conv",
    "/flops/forward_per_image/linear",
    "/flops/forward_per_image/batch_norm",
    "/flops/embed_per_image/total",
    "/flops/train_step_per_image",
    "/machine_peak/matmul_gflops/median",
    "/machine_peak/conv3x3_gflops/median",
    "/train_synthetic/step_seconds/median",
    "/train_synthetic/step_seconds/min",
    "/train_synthetic/step_seconds/max",
    "/train_synthetic/images_per_s",
    "/train_synthetic/gflops",
    "/train_synthetic/utilisation_of_matmul_peak",
    "/train_synthetic/utilisation_of_conv3x3_peak",
    "/train_pipeline/step_seconds/median",
    "/train_pipeline/images_per_s",
    "/embed_synthetic/batch_seconds/median",
    "/embed_synthetic/images_per_s",
    "/embed_synthetic/gflops",
    "/embed_pipeline/images",
    "/embed_pipeline/seconds",
    "/embed_pipeline/images_per_s",
    "/embed_pipeline/seconds_for_12000_images",
    "/peak_rss_mib",
    "/machine/logical_cores",
    "/machine/torch_threads",
};

}  // namespace

class TestBench final : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    QString dataset_;

private Q_SLOTS:
    void initTestCase()
    {
        run::Trainer::configureThreads(0);
        torch::manual_seed(1);
        data::CariSynthOptions o;
        o.identities = 4;
        o.photosPerIdentity = 3;
        o.caricaturesPerIdentity = 3;
        o.size = 96;
        dataset_ = tmp_.path() + "/synth";
        data::generateCariSynth(dataset_.toStdString(), o);
    }

    // Hand-computed: a multiply-add is 2 FLOPs, a bias 1 per output, batch norm 2 per element.
    void flopCount_data()
    {
        QTest::addColumn<QString>("module");
        QTest::addColumn<double>("conv");
        QTest::addColumn<double>("linear");
        QTest::addColumn<double>("batchNorm");
        // [2,3,10,10] -> 8 maps 10x10: 2 * (2*8*10*10 outputs) * (3*3*3 MACs each)
        QTest::newRow("conv 3x3 same, no bias") << "conv" << 86400.0 << 0.0 << 0.0;
        // [1,4,9,9], groups 2, stride 2 -> [1,6,4,4]: 2 * 96 * (2*3*3) + 96 bias
        QTest::newRow("grouped strided conv with bias") << "grouped" << 3552.0 << 0.0 << 0.0;
        // [3,20] -> [3,5]: 2 * 15 * 20 + 15 bias; counted once although it runs as addmm
        QTest::newRow("linear with bias") << "linear" << 0.0 << 615.0 << 0.0;
        // conv + relu + pool + linear: the conv above, then [2,8*5*5=200] -> [2,10] without bias
        QTest::newRow("conv, relu, pool, linear") << "chain" << 86400.0 << 8000.0 << 0.0;
        QTest::newRow("batch norm [2,4,5,5]") << "bn" << 0.0 << 0.0 << 400.0;
        QTest::newRow("elementwise only") << "relu" << 0.0 << 0.0 << 0.0;
    }

    void flopCount()
    {
        QFETCH(QString, module);
        QFETCH(double, conv);
        QFETCH(double, linear);
        QFETCH(double, batchNorm);
        torch::NoGradGuard ng;
        torch::nn::Conv2d c(torch::nn::Conv2dOptions(3, 8, 3).padding(1).bias(false));
        torch::nn::Conv2d g(torch::nn::Conv2dOptions(4, 6, 3).stride(2).groups(2).bias(true));
        torch::nn::Linear l(20, 5);
        torch::nn::Linear l2(torch::nn::LinearOptions(200, 10).bias(false));
        torch::nn::BatchNorm2d bn(4);
        bn->eval();
        std::function<void()> work;
        if (module == "conv")
            work = [&] { c(torch::randn({2, 3, 10, 10})); };
        else if (module == "grouped")
            work = [&] { g(torch::randn({1, 4, 9, 9})); };
        else if (module == "linear")
            work = [&] { l(torch::randn({3, 20})); };
        else if (module == "chain")
            work = [&] { l2(torch::max_pool2d(torch::relu(c(torch::randn({2, 3, 10, 10}))), 2).flatten(1)); };
        else if (module == "bn")
            work = [&] { bn(torch::randn({2, 4, 5, 5})); };
        else
            work = [&] { torch::relu(torch::randn({4, 4})) + 1; };
        const perf::FlopCount f = perf::countFlops(work);
        QCOMPARE(f.conv, conv);
        QCOMPARE(f.linear, linear);
        QCOMPARE(f.batchNorm, batchNorm);
        // One op each: nested dispatch (conv2d -> convolution -> backend) is not double counted.
        QCOMPARE(f.convOps, conv > 0 ? 1LL : 0LL);
        QCOMPARE(f.linearOps, linear > 0 ? 1LL : 0LL);
    }

    void flopCountIsOffOutside()
    {
        torch::NoGradGuard ng;
        torch::nn::Linear l(20, 5);
        perf::countFlops([&] { l(torch::randn({3, 20})); });
        // The observer is gone once countFlops returns: a later count sees only its own work.
        const auto f = perf::countFlops([] {});
        QCOMPARE(f.total(), 0.0);
    }

    void runnerFiguresAreRealAndComplete()
    {
        perf::BenchOptions o;
        o.backbone = "tiny";
        o.batch = 8;
        o.steps = 3;
        o.warmup = 1;
        o.dataset = dataset_.toStdString();
        o.evalImages = 12;
        std::vector<std::string> phases;
        const perf::BenchReport r = perf::runBench(o, [&](const std::string& p) { phases.push_back(p); });
        QVERIFY(!phases.empty());
        QCOMPARE(r.inputSize, 64);
        QCOMPARE(r.synthetic.stepSeconds.count, 3);
        QVERIFY(r.pipeline.has_value());
        QCOMPARE(r.pipeline->stepSeconds.count, 3);
        QVERIFY(r.pipeline->dataWait >= 0.0 && r.pipeline->dataWait <= 1.0);
        QVERIFY(r.synthetic.stepSeconds.min <= r.synthetic.stepSeconds.median);
        QVERIFY(r.synthetic.stepSeconds.median <= r.synthetic.stepSeconds.max);
        // The training step is counted as 3x the whole forward; embedding skips two branches.
        QCOMPARE(r.trainFlopsPerImage, 3.0 * r.forwardPerImage.total());
        QVERIFY(r.embedPerImage.total() < r.forwardPerImage.total());
        QVERIFY(r.evalPipeline.has_value());
        QCOMPARE(r.evalPipeline->images, 12);

        const nlohmann::json j = r.toJson();
        for (const char* key : kPositiveFigures) {
            const nlohmann::json::json_pointer p(key);
            QVERIFY2(j.contains(p), key);
            QVERIFY2(j.at(p).is_number(), key);
            const double v = j.at(p).get<double>();
            QVERIFY2(std::isfinite(v) && v > 0.0, (std::string(key) + " = " + std::to_string(v)).c_str());
        }
        QVERIFY(j.at("/train_pipeline/data_wait"_json_pointer).is_number());
        QVERIFY(!j.at("/machine/blas"_json_pointer).get<std::string>().empty());
    }

    void runnerRejectsBadOptions_data()
    {
        QTest::addColumn<int>("batch");
        QTest::addColumn<int>("steps");
        QTest::addColumn<QString>("backbone");
        QTest::newRow("batch 0") << 0 << 2 << "tiny";
        QTest::newRow("steps 0") << 4 << 0 << "tiny";
        QTest::newRow("unknown backbone") << 4 << 2 << "resnet-9000";
    }

    void runnerRejectsBadOptions()
    {
        QFETCH(int, batch);
        QFETCH(int, steps);
        QFETCH(QString, backbone);
        perf::BenchOptions o;
        o.backbone = backbone.toStdString();
        o.batch = batch;
        o.steps = steps;
        o.measurePeak = false;
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, perf::runBench(o));
    }

    void cliJsonHasEveryFigure()
    {
        const auto r = test::runCli({"bench", "--backbone", "tiny", "--batch", "4", "--eval-batch", "3", "--steps", "2", "--warmup", "1", "--dataset",
                                     dataset_, "--eval-images", "8", "--nchw", "--json"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const auto j = nlohmann::json::parse(r.out.toStdString());
        for (const char* key : kPositiveFigures) QVERIFY2(j.contains(nlohmann::json::json_pointer(key)), key);
        QCOMPARE(j.at("/config/batch"_json_pointer).get<int>(), 4);
        QCOMPARE(j.at("/config/eval_batch"_json_pointer).get<int>(), 3);
        QCOMPARE(j.at("/config/memory_format"_json_pointer).get<std::string>(), std::string("nchw"));
        QCOMPARE(j.at("/config/backbone"_json_pointer).get<std::string>(), std::string("tiny"));
    }

    void cliChoosesQuietRuntimeWaits()
    {
        // Unset, carilab-cli re-executes itself with PASSIVE OpenMP waits (spinning OpenMP
        // threads cost 30x on a busy machine) and OpenBLAS's shortest poll before its workers
        // sleep (its default kept a third of the 2-core machine busy); a user's own values are kept.
        for (const QString& given : {QString(), QStringLiteral("ACTIVE")}) {
            QProcess p;
            QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
            env.remove(QStringLiteral("OMP_WAIT_POLICY"));
            env.remove(QStringLiteral("OPENBLAS_THREAD_TIMEOUT"));
            if (!given.isEmpty()) {
                env.insert(QStringLiteral("OMP_WAIT_POLICY"), given);
                env.insert(QStringLiteral("OPENBLAS_THREAD_TIMEOUT"), QStringLiteral("28"));
            }
            p.setProcessEnvironment(env);
            p.start(test::cliPath(), {"bench", "--backbone", "tiny", "--batch", "2", "--steps", "1", "--warmup", "0", "--no-peak", "--json"});
            QVERIFY(p.waitForFinished(120000));
            QCOMPARE(p.exitCode(), 0);
            const auto j = nlohmann::json::parse(p.readAllStandardOutput().toStdString());
            QCOMPARE(j.at("/machine/omp_wait_policy"_json_pointer).get<std::string>(),
                     given.isEmpty() ? std::string("PASSIVE") : given.toStdString());
            QCOMPARE(j.at("/machine/openblas_thread_timeout"_json_pointer).get<std::string>(), std::string(given.isEmpty() ? "4" : "28"));
            // The variables alone prove nothing: they are set before re-execution, so a failed
            // re-execution would report them too.
            QVERIFY(j.at("/machine/runtime_tuned"_json_pointer).get<bool>());
        }
    }

    void fixedMallocThresholdsKeepStepsFromFaulting()
    {
        // A step's activations are freed and allocated again every step; with CariLab's fixed
        // thresholds glibc keeps them in the heap. A user's own threshold is kept: glibc's
        // starting one (128 KiB), fixed, sends every activation to a fresh mmap() and back.
        // Where the program cannot re-execute itself (exec_blocker), the thresholds must hold
        // all the same (set in-process), and the bench must say the re-execution failed.
#ifdef __SANITIZE_ADDRESS__
        QSKIP("AddressSanitizer's allocator replaces glibc's, whose thresholds this checks");
#endif
        if (qEnvironmentVariableIsSet("LD_PRELOAD"))
            QSKIP(qPrintable("LD_PRELOAD=" + qEnvironmentVariable("LD_PRELOAD") + " may replace glibc's malloc, whose thresholds this checks"));
        struct Figures {
            std::string thresholds;
            double faultsPerStep = -1;
            bool tuned = false;
        };
        auto bench = [](const QString& mmapThreshold, bool blockExec) {
            QProcess p;
            QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
            for (const char* name : {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_ARENA_MAX", "GLIBC_TUNABLES"})
                env.remove(QString::fromLatin1(name));
            if (!mmapThreshold.isEmpty()) env.insert(QStringLiteral("MALLOC_MMAP_THRESHOLD_"), mmapThreshold);
            if (blockExec) env.insert(QStringLiteral("LD_PRELOAD"), QStringLiteral(EXEC_BLOCKER_PATH));
            p.setProcessEnvironment(env);
            p.start(test::cliPath(), {"bench", "--backbone", "tiny", "--batch", "8", "--steps", "4", "--warmup", "2", "--no-peak", "--json"});
            Figures f;
            if (!p.waitForFinished(120000) || p.exitCode() != 0) {
                f.thresholds = "bench failed: " + p.readAllStandardError().right(2000).toStdString();
                return f;
            }
            const auto j = nlohmann::json::parse(p.readAllStandardOutput().toStdString());
            f.thresholds = j.at("/machine/malloc_thresholds"_json_pointer).get<std::string>();
            f.faultsPerStep = j.at("/train_synthetic/page_faults_per_step"_json_pointer).get<double>();
            f.tuned = j.at("/machine/runtime_tuned"_json_pointer).get<bool>();
            return f;
        };
        const auto tuned = bench(QString(), false);
        const auto stuck = bench(QString(), true);
        const auto churning = bench(QStringLiteral("131072"), false);
        const std::string carilabs =
            "mmap " + std::to_string(perf::kMallocMmapThreshold) + ", trim " + std::to_string(perf::kMallocTrimThreshold) + ", arenas 1";
        QCOMPARE(tuned.thresholds, carilabs);
        QCOMPARE(stuck.thresholds, carilabs);
        QCOMPARE(churning.thresholds, "mmap 131072, trim " + std::to_string(perf::kMallocTrimThreshold) + ", arenas 1");
        QVERIFY(tuned.tuned);
        QVERIFY(!stuck.tuned);
        QVERIFY(churning.tuned);
        const auto figures = QStringLiteral("page faults per step: %1 tuned, %2 tuned without re-execution, %3 with a 128 KiB threshold")
                                 .arg(tuned.faultsPerStep)
                                 .arg(stuck.faultsPerStep)
                                 .arg(churning.faultsPerStep);
        QVERIFY2(churning.faultsPerStep > 0 && tuned.faultsPerStep >= 0 && tuned.faultsPerStep * 4 < churning.faultsPerStep, qPrintable(figures));
        QVERIFY2(stuck.faultsPerStep >= 0 && stuck.faultsPerStep * 4 < churning.faultsPerStep, qPrintable(figures));
    }

    // The re-executed program keeps its own name in ps/top (it was "exe": /proc/self/exe was
    // executed), and CARILAB_NO_RUNTIME_TUNING=1 leaves the process as it was started.
    void launcherKeepsTheNameAndHasAnOptOut()
    {
        auto start = [](bool optOut) {
            auto* p = new QProcess;
            QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
            for (const char* name :
                 {"OMP_WAIT_POLICY", "OPENBLAS_THREAD_TIMEOUT", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_ARENA_MAX"})
                env.remove(QString::fromLatin1(name));
            if (optOut) env.insert(QString::fromLatin1(app::kOptOut), QStringLiteral("1"));
            p->setProcessEnvironment(env);
            return p;
        };
        // A command that lasts long enough to be looked at: a 400-step bench, killed once seen.
        QProcess* p = start(false);
        p->start(test::cliPath(), {"bench", "--backbone", "tiny", "--batch", "8", "--steps", "400", "--warmup", "0", "--no-peak", "--json"});
        QVERIFY(p->waitForStarted());
        QFile comm(QStringLiteral("/proc/%1/comm").arg(p->processId()));
        QString name;
        // Until the re-execution is done the name is the same anyway; what must never show is "exe".
        for (int i = 0; i < 20; ++i, QTest::qWait(100)) {
            if (comm.open(QIODevice::ReadOnly)) name = QString::fromUtf8(comm.readAll()).trimmed();
            comm.close();
            QVERIFY2(name != QLatin1String("exe"), "the re-executed process is named exe");
        }
        QCOMPARE(name, QStringLiteral("carilab-cli"));
        p->kill();
        p->waitForFinished();
        delete p;

        p = start(true);
        p->start(test::cliPath(), {"bench", "--backbone", "tiny", "--batch", "4", "--steps", "1", "--warmup", "0", "--no-peak", "--json"});
        QVERIFY(p->waitForFinished(120000) && p->exitCode() == 0);
        const auto j = nlohmann::json::parse(p->readAllStandardOutput().toStdString());
        delete p;
        QCOMPARE(j.at("/machine/runtime_tuned"_json_pointer).get<bool>(), false);
        QVERIFY(j.at("/machine/malloc_thresholds"_json_pointer).get<std::string>().find("glibc default") != std::string::npos);
    }

    // What a launch added leaves the environment again (children get the user's), while the
    // record of what the process runs with keeps it.
    void launcherForgetsWhatItAdded()
    {
        qputenv("CARILAB_TEST_ADDED_A", "1");
        qputenv("CARILAB_TEST_USERS_B", "2");
        qputenv(app::kAddedMarker, "CARILAB_TEST_ADDED_A");
        app::forgetAddedSettings();
        QVERIFY(!qEnvironmentVariableIsSet("CARILAB_TEST_ADDED_A"));
        QVERIFY(!qEnvironmentVariableIsSet(app::kAddedMarker));
        QCOMPARE(qgetenv("CARILAB_TEST_USERS_B"), QByteArray("2"));  // not the launcher's: kept
        qunsetenv("CARILAB_TEST_USERS_B");

        const QByteArray before = qgetenv("MALLOC_ARENA_MAX");
        qputenv("MALLOC_ARENA_MAX", "1");
        perf::recordRuntimeSettings(perf::runtimeSettingsFromEnvironment(true));
        qunsetenv("MALLOC_ARENA_MAX");
        QVERIFY(perf::runtimeSettings().tuned);
        QVERIFY(perf::runtimeSettings().mallocThresholds.find("arenas 1") != std::string::npos);
        if (!before.isNull()) qputenv("MALLOC_ARENA_MAX", before);
    }

    void cliTableAndErrors()
    {
        const auto ok = test::runCli({"bench", "--backbone", "tiny", "--batch", "4", "--steps", "1", "--warmup", "0", "--no-peak"});
        QVERIFY2(ok.exitCode == 0, qPrintable(ok.err));
        QVERIFY(ok.out.contains("images/s"));
        QVERIFY(ok.out.contains("GFLOP"));
        const auto bad = test::runCli({"bench", "--backbone", "tiny", "--dataset", tmp_.path() + "/missing", "--no-peak", "--steps", "1"});
        QCOMPARE(bad.exitCode, 1);
        QVERIFY(bad.err.contains("missing"));
    }
};

QTEST_GUILESS_MAIN(TestBench)
#include "test_bench.moc"
