// The GPU checks (cuda_parity, cuda_precision; tests/device/README.md) are built for a GPU
// machine on their own, where a broken one costs scarce device time. Here they are built against
// the same nn layer and run in their CPU modes, so they compile, link and pass on every machine.
#include <QProcess>
#include <QtTest/QtTest>

namespace {

struct Run {
    int exitCode = -1;
    QString out;
};

Run runCheck(const QString& program, const QStringList& args, int timeoutMs = 240000)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(program, args);
    if (!p.waitForStarted(20000)) return {-1, program + " did not start: " + p.errorString()};
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        return {-1, "timed out: " + QString::fromUtf8(p.readAll())};
    }
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, QString::fromUtf8(p.readAll())};
}

}  // namespace

class TestDeviceCheck : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // CPU against a second CPU replica: the parity logic, every strategy, a few steps each.
    void parityLogicPassesOnTheCpu()
    {
        const Run r = runCheck(QStringLiteral(CUDA_PARITY_PATH), {"--cpu-only", "--no-bench", "--steps", "3", "--extra-steps", "2"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.out.right(3000)));
        QVERIFY(r.out.contains("RESULT: PASS"));
        QCOMPARE(r.out.count(QRegularExpression(R"(^  [a-z]+/float(32|64)/[0-9]+ steps: PASS$)", QRegularExpression::MultilineOption)),
                 7);  // dynamic fp32 + fp64, five other strategies
    }

    // Without a GPU both say so with their own exit code (77), and run nothing.
    void withoutCudaBothExit77()
    {
        for (const char* path : {CUDA_PARITY_PATH, CUDA_PRECISION_PATH}) {
            const Run r = runCheck(QString::fromUtf8(path), {});
            if (r.out.contains("CUDA available yes")) QSKIP("this machine has a CUDA device");
            QVERIFY2(r.exitCode == 77, qPrintable(r.out));
            QVERIFY(r.out.contains("no CUDA device"));
        }
    }

    // bf16 autocast on this CPU: engages and restores, first forward near fp32, trains like fp32.
    void bf16ChecksPassOnTheCpu()
    {
        const Run r = runCheck(QStringLiteral(CUDA_PRECISION_PATH), {"--cpu", "--no-bench", "--steps", "24"});
        if (r.exitCode == 77) QSKIP("this CPU has no native bf16");
        QVERIFY2(r.exitCode == 0, qPrintable(r.out.right(3000)));
        QVERIFY(r.out.contains("RESULT: PASS"));
        QCOMPARE(r.out.count("    ok    "), 10);  // 3 autocast + 1 scope end + 2 forward + 4 training checks
        QVERIFY(!r.out.contains("FAILED"));
    }

    // The benchmark's matrix (both backbones, each precision this device has) on tiny batches.
    void benchmarkRunsEveryArm()
    {
        const Run r = runCheck(QStringLiteral(CUDA_PRECISION_PATH),
                               {"--cpu", "--steps", "8", "--bench-batch", "2", "--bench-warmup", "1", "--bench-iters", "1"});
        if (r.exitCode == 77) QSKIP("this CPU has no native bf16");
        QVERIFY2(r.exitCode == 0, qPrintable(r.out.right(3000)));
        const QRegularExpression line(R"(BENCH (\S+)\s+batch\s+2\s+(fp32|bf16)\s+([0-9.]+) images/s)");
        int arms = 0;
        for (auto it = line.globalMatch(r.out); it.hasNext();) {
            const auto m = it.next();
            QVERIFY2(m.captured(3).toDouble() > 0.0, qPrintable(m.captured(0)));
            ++arms;
        }
        QCOMPARE(arms, 4);  // inception-resnet-v1 and face-resnet, fp32 and bf16
    }
};

QTEST_GUILESS_MAIN(TestDeviceCheck)
#include "test_device_check.moc"
