// Benchmark (not a timed test): replotting the live weights/losses plots with 10^6 points per
// curve. Run `tests/bench_plots` to see the figure; ctest runs it once as a smoke test.
#include "training_plots.h"

#include "qcustomplot_include.h"

#include <QtTest/QtTest>

#include <cmath>

using namespace carilab::widgets;

class BenchPlots final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void replotMillionPointsPerCurve()
    {
        RunCurves run(QStringLiteral("bench"));
        const int n = 1'000'000;
        // Fill the arrays directly: building 10^6 JSON records would measure nlohmann, not plotting.
        RunCurves filled(QStringLiteral("bench"));
        for (int i = 1; i <= n; ++i) {
            nlohmann::json r = {{"type", "train"}, {"step", i}, {"epoch", i / 100.0}, {"time_s", i * 0.01}};
            if (i == 1) {
                r["loss"] = {{"verification", 3.0}, {"caricature", 3.5}, {"visual", 2.5}};
                r["weight"] = {{"verification", 0.3}, {"caricature", 0.45}, {"visual", 0.25}};
                filled.addRecord(r);
            }
        }
        QVERIFY(filled.curve(QStringLiteral("loss/caricature")));
        RunCurves big = filled;
        // Replace the one-point curves with 10^6-point ones.
        auto& series = const_cast<QMap<QString, Curve>&>(big.series());
        for (auto it = series.begin(); it != series.end(); ++it) {
            Curve c;
            c.step.resize(n);
            c.epoch.resize(n);
            c.time.resize(n);
            c.value.resize(n);
            for (int i = 0; i < n; ++i) {
                c.step[i] = i + 1;
                c.epoch[i] = (i + 1) / 100.0;
                c.time[i] = (i + 1) * 0.01;
                c.value[i] = 0.3 + 0.1 * std::sin(i * 1e-3) + 0.02 * std::sin(i * 0.37);
            }
            it.value() = c;
        }
        TrainingPlots plots;
        plots.resize(1200, 800);
        plots.show();
        plots.setRuns({&big});
        QVERIFY(plots.pointCount() >= 6 * n);  // nothing dropped: every point is in the graphs
        QBENCHMARK { plots.plot()->replot(QCustomPlot::rpImmediateRefresh); }
    }

    // What the GUI draws while a run trains (the "Figure 3 demo": 400 steps, smoothing on, so
    // a raw and a smoothed graph per curve): every such replot is CPU the trainer's threads lose.
    void replotLiveRun_data()
    {
        QTest::addColumn<int>("steps");
        QTest::newRow("400 steps") << 400;
        QTest::newRow("5000 steps") << 5000;
    }

    void replotLiveRun()
    {
        QFETCH(int, steps);
        RunCurves run(QStringLiteral("live"));
        for (int i = 1; i <= steps; ++i) {
            const double t = i / static_cast<double>(steps);
            run.addRecord(
                {{"type", "train"},
                 {"step", i},
                 {"epoch", i / 50.0},
                 {"time_s", i * 0.12},
                 {"loss",
                  {{"verification", 4.0 - 2 * t + 0.3 * std::sin(i * 0.7)},
                   {"caricature", 4.2 - 1.5 * t + 0.2 * std::sin(i * 1.3)},
                   {"visual", 3.9 - 2.5 * t + 0.25 * std::sin(i * 0.9)}}},
                 {"weight",
                  {{"verification", 0.4 + 0.1 * t}, {"caricature", 0.3 - 0.05 * t + 0.02 * std::sin(i * 0.5)}, {"visual", 0.3 - 0.05 * t}}}});
        }
        TrainingPlots plots;
        plots.resize(1000, 700);
        plots.show();
        plots.setRuns({&run});
        QVERIFY(plots.pointCount() >= 2 * 6 * steps);
        QBENCHMARK { plots.plot()->replot(QCustomPlot::rpImmediateRefresh); }
    }
};

QTEST_MAIN(BenchPlots)
#include "bench_plots.moc"
