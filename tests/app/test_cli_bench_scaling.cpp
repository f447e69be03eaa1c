// carilab-cli bench --nproc-per-node (app/cli_bench_scaling.h) through the real binary: two
// real trainings of the tiny backbone (1 rank, then 2 Gloo ranks of one thread each on a
// generated CariSynth set) give both whole-job images/s, the efficiency as defined and the
// job's shape; the temporary folder is gone afterwards; bad options and a failing training
// are named.
#include "test_support.h"

#include <nlohmann/json.hpp>

#include <QDir>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest/QtTest>

namespace {

using Outcome = carilab::test::CliResult;

}  // namespace

class TestCliBenchScaling : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;

    // The bench with its temporary folders and settings inside the test's folder.
    Outcome bench(const QStringList& args)
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("TMPDIR"), tmp_.path());
        env.insert(QStringLiteral("CARILAB_HOME"), tmp_.filePath(QStringLiteral("home")));
        return carilab::test::runCli(QStringList{QStringLiteral("bench")} + args, 120000, env);
    }

    static QString describe(const Outcome& o) { return QStringLiteral("exit %1\n--- stdout\n%2\n--- stderr\n%3").arg(o.exitCode).arg(o.out, o.err.right(3000)); }

    QStringList leftovers() const { return QDir(tmp_.path()).entryList({QStringLiteral("carilab-bench-*")}, QDir::AllEntries); }

    static void checkRun(const nlohmann::json& run, int worldSize, int measured)
    {
        QCOMPARE(run.at("world_size").get<int>(), worldSize);
        QCOMPARE(static_cast<int>(run.at("threads_per_rank").size()), worldSize);
        for (const auto& t : run.at("threads_per_rank")) QVERIFY(t.get<int>() >= 1);
        const auto& ips = run.at("images_per_s");
        QCOMPARE(ips.at("count").get<int>(), measured);
        QVERIFY(ips.at("median").get<double>() > 0);
        QVERIFY(ips.at("min").get<double>() <= ips.at("median").get<double>());
        QVERIFY(ips.at("median").get<double>() <= ips.at("max").get<double>());
        QVERIFY(run.at("wall_s").get<double>() > 0);
        QVERIFY(QString::fromStdString(run.at("command").get<std::string>()).contains(QStringLiteral("--batch 8")));
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(tmp_.isValid()); }

    void twoRanksAgainstOneAsJson()
    {
        const Outcome o = bench({"--nproc-per-node", "2", "--backbone", "tiny", "--batch", "8", "--steps", "6", "--warmup", "2", "--json"});
        QVERIFY2(o.exitCode == 0, qPrintable(describe(o)));
        const auto j = nlohmann::json::parse(o.out.toStdString(), nullptr, false);
        QVERIFY2(j.is_object(), qPrintable(o.out));
        QCOMPARE(j.at("kind").get<std::string>(), std::string("data_parallel_scaling"));
        QCOMPARE(j.at("world_size").get<int>(), 2);
        QCOMPARE(j.at("backend").get<std::string>(), std::string("gloo"));
        QCOMPARE(j.at("global_batch").get<int>(), 8);
        QCOMPARE(j.at("measured_steps").get<int>(), 6);
        checkRun(j.at("one_rank"), 1, 6);
        checkRun(j.at("n_ranks"), 2, 6);
        QVERIFY(QString::fromStdString(j.at("n_ranks").at("command").get<std::string>()).contains(QStringLiteral("--nproc-per-node 2")));
        QVERIFY(!QString::fromStdString(j.at("one_rank").at("command").get<std::string>()).contains(QStringLiteral("--nproc-per-node")));
        // On the CPU the ranks share the cores: efficiency is the plain ratio of the two.
        const double eff = j.at("efficiency").get<double>();
        QVERIFY(eff > 0);
        QVERIFY(qAbs(eff - j["n_ranks"]["images_per_s"]["median"].get<double>() / j["one_rank"]["images_per_s"]["median"].get<double>()) < 1e-9);
        QVERIFY(QString::fromStdString(j.at("efficiency_definition").get<std::string>()).contains(QStringLiteral("images/s(1 rank)")));
        QVERIFY2(leftovers().isEmpty(), qPrintable(leftovers().join(' ')));
    }

    void tableNamesTheFigures()
    {
        const Outcome o = bench({"--nproc-per-node", "2", "--backbone", "tiny", "--batch", "8", "--steps", "2", "--warmup", "1"});
        QVERIFY2(o.exitCode == 0, qPrintable(describe(o)));
        QVERIFY2(o.out.contains(QStringLiteral("2 ranks (gloo)")), qPrintable(o.out));
        QVERIFY2(o.out.contains(QStringLiteral("scaling efficiency: ")), qPrintable(o.out));
        QVERIFY2(o.out.contains(QStringLiteral("threads per rank 1, 1")), qPrintable(o.out));
    }

    void usageErrors_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        QTest::newRow("one rank") << QStringList{"--nproc-per-node", "1"} << QStringLiteral("must be at least 2");
        QTest::newRow("batch not divisible") << QStringList{"--nproc-per-node", "2", "--batch", "9"} << QStringLiteral("does not divide by --nproc-per-node 2");
        QTest::newRow("one-process option") << QStringList{"--nproc-per-node", "2", "--batch", "8", "--no-peak"} << QStringLiteral("--no-peak is a figure of the one-process bench");
        QTest::newRow("device alone") << QStringList{"--device", "cuda"} << QStringLiteral("--device applies to the scaling bench");
    }

    void usageErrors()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        const Outcome o = bench(args);
        QVERIFY2(o.exitCode == 2, qPrintable(describe(o)));
        QVERIFY2(o.err.contains(message), qPrintable(o.err));
        QVERIFY(o.out.isEmpty());
    }

    void failingTrainingIsNamedWithItsOutput()
    {
        const QString missing = tmp_.filePath(QStringLiteral("no-such-dataset"));
        const Outcome o = bench({"--nproc-per-node", "2", "--backbone", "tiny", "--batch", "8", "--dataset", missing});
        QVERIFY2(o.exitCode == 1, qPrintable(describe(o)));
        QVERIFY2(o.err.contains(QStringLiteral("the 1-rank training failed (exit status")), qPrintable(o.err));
        QVERIFY2(o.err.contains(QStringLiteral("its last output:")), qPrintable(o.err));
        QVERIFY2(o.err.contains(QStringLiteral("| carilab-cli train: ")), qPrintable(o.err));
        QVERIFY2(leftovers().isEmpty(), qPrintable(leftovers().join(' ')));
    }
};

QTEST_GUILESS_MAIN(TestCliBenchScaling)
#include "test_cli_bench_scaling.moc"
