// The typed records of metrics.jsonl (run/metrics_records.h): the one writer and the one reader
// agree, older files still read, a bad line is named by file and line; and what the trainer's
// events, the run list and model selection make of them.
#include "io/atomic_file.h"
#include "run/event_queue.h"
#include "run/metrics_log.h"
#include "run/model_selection.h"
#include "run/run_directory.h"
#include "run/run_summary.h"
#include "run/train_config.h"
#include "run/training_step.h"
#include "run/weight_dynamics.h"

#include <QtTest/QtTest>

#include <cmath>
#include <fstream>

using namespace carilab;
using nlohmann::json;

namespace {

run::StepRecord fullStep()
{
    run::StepRecord r;
    r.step = 42;
    r.epoch = 2.625;
    r.timeS = 12.5;
    r.lr = 0.01;
    r.lrGroups = {{"trunk", 0.001}, {"branches", 0.005}, {"heads", 0.1}};
    r.imagesPerS = 310.5;
    r.dataWait = 0.125;
    r.loss = run::TaskValues{1.5, 2.25, 0.75};
    r.weight = run::TaskValues{0.25, 0.5, 0.25};
    r.weightRaw = run::TaskValues{1.0, 2.0, 1.0};
    r.crossEntropy = run::TaskValues{1.25, 2.0, 0.5};
    r.centerLoss = 0.0625;
    r.totalLoss = 1.875;
    r.strategyLoss = -0.5;
    r.photos = 30;
    r.caricatures = 34;
    r.grad = run::GradRecord{{0.125, -0.25, 0.5}, {3.5, 1.25, 2.0}, 1234};
    r.weightByModality = run::WeightByModality{run::ModalityWeights{34, {0.25, 0.5, 0.25}, {0.125, 0.375, 0.125}, {0.25, 0.5, 0.25}, {0.375, 0.625, 0.375}},
                                               run::ModalityWeights{30, {0.5, 0.25, 0.25}, {0.375, 0.125, 0.125}, {0.5, 0.25, 0.25}, {0.625, 0.375, 0.375}}};
    return r;
}

void compareValues(const run::TaskValues& a, const run::TaskValues& b)
{
    for (size_t t = 0; t < a.size(); ++t) QVERIFY((std::isnan(a[t]) && std::isnan(b[t])) || a[t] == b[t]);
}

void compareModality(const std::optional<run::ModalityWeights>& a, const std::optional<run::ModalityWeights>& b)
{
    QCOMPARE(bool(a), bool(b));
    if (!a) return;
    QCOMPARE(a->samples, b->samples);
    compareValues(a->mean, b->mean);
    compareValues(a->q10, b->q10);
    compareValues(a->q50, b->q50);
    compareValues(a->q90, b->q90);
}

run::HeldOutRecord fullHeldOut()
{
    run::HeldOutRecord r;
    r.step = 40;
    r.epoch = 2.5;
    r.timeS = 11.0;
    r.heldOut = "validation";
    r.split = "protocol";
    auto& f = r.figures;
    f.caricatures = 120;
    f.photos = 80;
    f.verificationIdAcc = 0.5;
    f.caricatureAcc = 0.625;
    f.visualAcc = 0.875;
    f.verification = run::PairFigures{0.8125, 0.03125, 0.375, 0.9};
    f.pairs = 960;
    f.photoVerification = run::PairFigures{0.9375, 0.015625, 0.5, 0.98};
    f.photoPairs = 316;
    return r;
}

std::string writeLines(const QString& path, const std::string& text)
{
    std::ofstream(path.toStdString(), std::ios::binary | std::ios::trunc) << text;
    return path.toStdString();
}

void compareSteps(const run::StepRecord& a, const run::StepRecord& b)
{
    QCOMPARE(a.step, b.step);
    QCOMPARE(a.epoch, b.epoch);
    QCOMPARE(a.timeS, b.timeS);
    QCOMPARE(a.lr, b.lr);
    QCOMPARE(a.lrGroups, b.lrGroups);
    QCOMPARE(a.imagesPerS, b.imagesPerS);
    QCOMPARE(a.dataWait, b.dataWait);
    QCOMPARE(a.loss, b.loss);
    QCOMPARE(a.weight, b.weight);
    QCOMPARE(a.weightRaw, b.weightRaw);
    QCOMPARE(a.crossEntropy, b.crossEntropy);
    QCOMPARE(a.centerLoss, b.centerLoss);
    QCOMPARE(a.totalLoss, b.totalLoss);
    QCOMPARE(a.strategyLoss, b.strategyLoss);
    QCOMPARE(a.photos, b.photos);
    QCOMPARE(a.caricatures, b.caricatures);
    QCOMPARE(bool(a.grad), bool(b.grad));
    if (a.grad) {
        compareValues(a.grad->cos, b.grad->cos);
        compareValues(a.grad->norm, b.grad->norm);
        QCOMPARE(a.grad->parameters, b.grad->parameters);
    }
    QCOMPARE(bool(a.weightByModality), bool(b.weightByModality));
    if (a.weightByModality) {
        compareModality(a.weightByModality->caricature, b.weightByModality->caricature);
        compareModality(a.weightByModality->photo, b.weightByModality->photo);
    }
}

}  // namespace

class TestRunRecords final : public QObject {
    Q_OBJECT

    QTemporaryDir tmp_;
    QString fresh(const char* name) const { return tmp_.filePath(QString::fromLatin1(name)); }

private Q_SLOTS:
    void initTestCase() { QVERIFY(tmp_.isValid()); }

    void stepRecordRoundTrip()
    {
        const run::StepRecord r = fullStep();
        const json j = run::toJson(r);
        // The keys metrics.jsonl has always used (docs/runs.md).
        for (const char* key : {"type", "step", "epoch", "time_s", "lr", "lr_groups", "images_per_s", "data_wait", "loss", "weight", "weight_raw",
                                "cross_entropy", "center_loss", "total_loss", "strategy_loss", "photos", "caricatures"})
            QVERIFY2(j.contains(key), key);
        QCOMPARE(j["type"].get<std::string>(), std::string("train"));
        QCOMPARE(j["loss"]["caricature"].get<double>(), 2.25);
        const auto back = run::metricsRecordFromJson(json::parse(j.dump()));
        QVERIFY(std::holds_alternative<run::StepRecord>(back));
        compareSteps(std::get<run::StepRecord>(back), r);
        QCOMPARE(run::toJson(back), j);
        // A strategy without a loss of its own writes none.
        run::StepRecord plain = r;
        plain.strategyLoss.reset();
        QVERIFY(!run::toJson(plain).contains("strategy_loss"));
        // The diagnostics of issue #23, under the names docs/runs.md gives them.
        QCOMPARE(j["grad"]["cos"]["caricature-visual"].get<double>(), 0.5);
        QCOMPARE(j["grad"]["norm"]["verification"].get<double>(), 3.5);
        QCOMPARE(j["weight_by_modality"]["photo"]["q90"]["verification"].get<double>(), 0.625);
        QCOMPARE(j["weight_by_modality"]["caricature"]["samples"].get<long long>(), 34LL);
        // Steps without an inspection, strategies without per-sample weights: neither key.
        plain.grad.reset();
        plain.weightByModality.reset();
        QVERIFY(!run::toJson(plain).contains("grad") && !run::toJson(plain).contains("weight_by_modality"));
    }

    // A cosine without a direction (a task with no images) is written as null and reads back as
    // NaN; a batch of one modality writes only that one's band.
    void diagnosticsPartsMissing()
    {
        run::StepRecord r = fullStep();
        r.grad->cos[1] = std::nan("");
        r.weightByModality->caricature.reset();
        const json j = json::parse(run::toJson(r).dump());
        QVERIFY(j["grad"]["cos"]["verification-visual"].is_null());
        QVERIFY(!j["weight_by_modality"].contains("caricature"));
        const auto back = std::get<run::StepRecord>(run::metricsRecordFromJson(j));
        QVERIFY(std::isnan(back.grad->cos[1]));
        QCOMPARE(back.grad->cos[2], 0.5);
        QVERIFY(!back.weightByModality->caricature && back.weightByModality->photo);
        compareSteps(back, r);
    }

    void heldOutRecordRoundTrip()
    {
        const run::HeldOutRecord r = fullHeldOut();
        const json j = run::toJson(r);
        for (const char* key : {"type",
                                "step",
                                "epoch",
                                "time_s",
                                "held_out",
                                "split",
                                "caricatures",
                                "photos",
                                "verification_id_acc",
                                "caricature_acc",
                                "visual_acc",
                                "verification_acc",
                                "verification_acc_std",
                                "verification_threshold",
                                "verification_auc",
                                "pairs",
                                "photo_verification_acc",
                                "photo_verification_acc_std",
                                "photo_verification_threshold",
                                "photo_verification_auc",
                                "photo_pairs"})
            QVERIFY2(j.contains(key), key);
        const auto back = run::metricsRecordFromJson(json::parse(j.dump()));
        QVERIFY(std::holds_alternative<run::HeldOutRecord>(back));
        const auto& h = std::get<run::HeldOutRecord>(back);
        QCOMPARE(h.step, r.step);
        QCOMPARE(h.heldOut, r.heldOut);
        QCOMPARE(h.split, r.split);
        QCOMPARE(h.figures.verification->auc, 0.9);
        QCOMPARE(h.figures.photoVerification->acc, 0.9375);
        QCOMPARE(h.figures.caricatureAcc, std::optional<double>(0.625));
        QCOMPARE(h.figures.photoPairs, 316LL);
        QCOMPARE(run::toJson(back), j);
        // The figures alone are what eval.json's "held_out" and an evaluator's result hold.
        QCOMPARE(run::toJson(run::heldOutFiguresFromJson(run::toJson(r.figures))), run::toJson(r.figures));
    }

    void failedEvaluationRoundTrip()
    {
        run::HeldOutRecord r;
        r.step = 3;
        r.figures.error = "no test images could be read";
        const json j = run::toJson(r);
        QVERIFY(!j.contains("pairs") && !j.contains("verification_acc"));
        const auto back = std::get<run::HeldOutRecord>(run::metricsRecordFromJson(j));
        QCOMPARE(back.figures.error, r.figures.error);
        QVERIFY(!back.figures.verification);
        QVERIFY(!run::selectionScore(back.figures));
    }

    void otherRecordRoundTrip()
    {
        const json j = {{"type", "checkpoint"}, {"step", 7}, {"file", "step7.pt"}};
        const auto r = run::metricsRecordFromJson(j);
        QVERIFY(std::holds_alternative<run::OtherRecord>(r));
        QCOMPARE(run::recordStep(r), std::optional<long long>(7));
        QCOMPARE(run::toJson(r), j);
        QCOMPARE(run::recordStep(run::metricsRecordFromJson(json{{"type", "note"}})), std::optional<long long>());
    }

    // The run's writer and readMetricsFile agree on every kind of line, in file order.
    void fileRoundTrip()
    {
        const auto rd = run::RunDirectory::create(fresh("file-round-trip").toStdString(), json::object());
        rd.appendMetrics(fullStep());
        rd.appendMetrics(fullHeldOut());
        rd.appendMetrics(run::OtherRecord{"note", 42, json{{"type", "note"}, {"step", 42}, {"text", "hello"}}});
        const auto m = rd.metrics();
        QVERIFY(m.problems.empty() && !m.truncatedTail);
        QCOMPARE(m.train.size(), size_t(1));
        compareSteps(m.train[0], fullStep());
        QCOMPARE(m.heldOut.size(), size_t(1));
        QCOMPARE(run::toJson(m.heldOut[0]), run::toJson(fullHeldOut()));
        QCOMPARE(m.other.size(), size_t(1));
        QCOMPARE(m.other[0].json["text"].get<std::string>(), std::string("hello"));
    }

    // Lines as the first CariLab wrote them (no lr_groups, split or photo-photo figures) and as
    // the oldest ones (no "type") still read, with what they lack at its default.
    void oldFormatLines()
    {
        const std::string path = writeLines(
            fresh("old.jsonl"),
            R"({"step":1,"epoch":0.1,"time_s":0.5,"lr":0.1,"loss":{"verification":2.0,"caricature":3.0,"visual":1.0},"weight":{"verification":0.3,"caricature":0.4,"visual":0.3}})"
            "\n"
            R"({"type":"train","step":2,"epoch":0.2,"time_s":1.0,"lr":0.1,"images_per_s":99.5,"data_wait":0.1,"loss":{"verification":1.9,"caricature":2.9,"visual":0.9},"weight":{"verification":0.3,"caricature":0.4,"visual":0.3},"weight_raw":{"verification":1,"caricature":1.3,"visual":1},"cross_entropy":{"verification":1.8,"caricature":2.8,"visual":0.8},"center_loss":0.1,"total_loss":2.0,"photos":32,"caricatures":32})"
            "\n"
            R"({"type":"eval","step":2,"epoch":0.2,"time_s":1.5,"held_out":"test","caricatures":10,"photos":10,"verification_id_acc":0.2,"caricature_acc":0.3,"visual_acc":0.4,"verification_acc":0.6,"verification_acc_std":0.1,"verification_threshold":0.5,"verification_auc":0.65,"pairs":50})"
            "\n");
        const auto m = run::readMetricsFile(path);
        QVERIFY(m.problems.empty());
        QCOMPARE(m.train.size(), size_t(2));
        const auto& oldest = m.train[0];
        QCOMPARE(oldest.step, 1LL);
        QCOMPARE(oldest.loss, std::optional<run::TaskValues>(run::TaskValues{2.0, 3.0, 1.0}));
        QVERIFY(!oldest.imagesPerS && !oldest.totalLoss && !oldest.weightRaw);
        QVERIFY(oldest.lrGroups.empty());
        QCOMPARE(oldest.photos, 0LL);
        QVERIFY(!oldest.grad && !oldest.weightByModality && !m.train[1].grad && !m.train[1].weightByModality);
        const auto& first = m.train[1];
        QVERIFY(first.lrGroups.empty());
        QCOMPARE(first.imagesPerS, std::optional<double>(99.5));
        QCOMPARE(first.caricatures, 32LL);
        QCOMPARE(m.heldOut.size(), size_t(1));
        const auto& h = m.heldOut[0];
        QCOMPARE(h.split, std::string());
        QVERIFY(!h.figures.photoVerification);
        QCOMPARE(h.figures.photoPairs, 0LL);
        QCOMPARE(h.figures.verification->auc, 0.65);
        QCOMPARE(h.heldOut, std::string("test"));
    }

    // The writer writes NaN as null (a held-out set without caricatures has no caricature
    // accuracy); null reads as "not measured".
    void nullReadsAsMissing()
    {
        run::HeldOutRecord r = fullHeldOut();
        r.figures.caricatureAcc = std::nan("");
        r.figures.verification->acc = std::nan("");
        const json j = json::parse(run::toJson(r).dump());
        QVERIFY(j["caricature_acc"].is_null());
        const auto back = std::get<run::HeldOutRecord>(run::metricsRecordFromJson(j));
        QVERIFY(!back.figures.caricatureAcc);
        QVERIFY(back.figures.verification && std::isnan(back.figures.verification->acc));
        QCOMPARE(back.figures.verification->auc, 0.9);
        // Selection skips what was not measured: (0.875 visual) / 1.
        QCOMPARE(run::selectionScore(back.figures), std::optional<double>(0.875));

        const json step = json::parse(R"({"type":"train","step":5,"loss":{"verification":null,"caricature":1}})");
        const auto s = std::get<run::StepRecord>(run::metricsRecordFromJson(step));
        QVERIFY(std::isnan(s.loss->at(0)) && std::isnan(s.loss->at(2)));
        QVERIFY(!run::allFinite(*s.loss));
        QCOMPARE(s.loss->at(1), 1.0);

        // A pair figure with only some of its keys (as the fuzzer wrote) reads and writes back
        // as the same line.
        const std::string partial = R"({"step":1,"type":"eval","verification_acc":0.5})";
        const auto once = run::toJson(run::metricsRecordFromJson(json::parse(partial))).dump();
        QCOMPARE(run::toJson(run::metricsRecordFromJson(json::parse(once))).dump(), once);
        QVERIFY(json::parse(once)["verification_auc"].is_null());
    }

    // inspect_every: auto by default (kAutoInspections a run, on logged steps), a number of
    // steps, or 0 for none; the config keeps it only when it is not auto.
    void inspectEveryCadence()
    {
        run::TrainConfig c;
        c.dataset = "d";
        c.steps = 1000;
        QCOMPARE(c.inspectEvery, run::TrainConfig::kInspectAuto);
        QCOMPARE(c.resolvedInspectEvery(1000), 50LL);  // kAutoInspections = 20 a run
        QCOMPARE(c.resolvedInspectEvery(30), 1LL);
        c.logEvery = 7;
        QCOMPARE(c.resolvedInspectEvery(1000), 56LL);  // the next multiple of log_every
        QVERIFY(!run::toJson(c).contains("inspect_every"));
        int inspected = 0;
        for (long long s = 0; s < 1000; ++s) inspected += run::inspectsStep(c, s, 1000);
        QCOMPARE(inspected, 17);
        QVERIFY(run::inspectsStep(c, 55, 1000) && !run::inspectsStep(c, 56, 1000));

        json j = run::toJson(c);
        j["inspect_every"] = 0;
        const run::TrainConfig off = run::trainConfigFromJson(j);
        QCOMPARE(off.resolvedInspectEvery(1000), 0LL);
        for (long long s = 0; s < 100; ++s) QVERIFY(!run::inspectsStep(off, s, 100));
        QCOMPARE(run::toJson(off)["inspect_every"].get<long long>(), 0LL);
        j["inspect_every"] = 5;
        QCOMPARE(run::trainConfigFromJson(j).resolvedInspectEvery(1000), 5LL);
        j["inspect_every"] = "auto";
        QCOMPARE(run::trainConfigFromJson(j).inspectEvery, run::TrainConfig::kInspectAuto);
        for (const json& bad : {json(-3), json("often"), json(2.5)}) {
            j["inspect_every"] = bad;
            QVERIFY_THROWS_EXCEPTION(std::invalid_argument, run::trainConfigFromJson(j));
        }
    }

    // export's numbers for the gradient panel and the bands: means over the counted records, a
    // cosine without an angle counted as orthogonal, records before fromStep left out.
    void taskDiagnosticsSummary()
    {
        std::vector<run::StepRecord> recs(3, fullStep());
        recs[0].step = 1;
        recs[0].grad->cos = {-0.9, -0.9, -0.9};  // before fromStep: not counted
        recs[1].step = 2;
        recs[1].grad->cos = {0.5, std::nan(""), -0.25};
        recs[2].step = 3;
        recs[2].grad->cos = {-0.1, 0.25, 0.25};
        recs[2].weightByModality->photo.reset();  // one modality only: no separation to count
        const run::TaskDiagnostics d = run::taskDiagnostics(recs, 2);
        QCOMPARE(d.inspections, size_t(2));
        QVERIFY(std::abs(d.meanCos[0] - 0.2) < 1e-12);
        QVERIFY(std::abs(d.meanCos[1] - 0.125) < 1e-12);
        QCOMPARE(d.negativeShare[0], 0.5);
        QCOMPARE(d.negativeShare[1], 0.0);
        QCOMPARE(d.negativeShare[2], 0.5);
        QCOMPARE(d.meanNorm[1], 1.25);
        QCOMPARE(d.bandRecords, size_t(1));
        QCOMPARE(d.caricatureWeight[1], 0.5);
        QCOMPARE(d.photoWeight[0], 0.5);
        QCOMPARE(d.modalitySeparation, 0.25);  // (|0.25-0.5| + |0.5-0.25| + 0) / 2
        const std::string text = run::describe(d);
        QVERIFY(text.find("2 inspections from step 2") != std::string::npos);
        QVERIFY(text.find("modality separation 0.250") != std::string::npos);
        run::StepRecord plain = fullStep();
        plain.grad.reset();
        plain.weightByModality.reset();
        QCOMPARE(run::describe(run::taskDiagnostics({plain}, 0)), std::string());
    }

    void wrongTypes_data()
    {
        QTest::addColumn<QString>("line");
        QTest::addColumn<QString>("why");
        QTest::newRow("type") << R"({"type":3,"step":1})"
                              << R"("type" is not a string)";
        QTest::newRow("step string") << R"({"type":"train","step":"1"})"
                                     << R"("step" is not a whole number)";
        QTest::newRow("step fractional") << R"({"type":"eval","step":1.5})"
                                         << R"("step" is not a whole number)";
        QTest::newRow("step huge") << R"({"type":"train","step":1e300})"
                                   << R"("step" is not a whole number)";
        QTest::newRow("step missing") << R"({"type":"train","loss":{}})"
                                      << R"(no "step")";
        QTest::newRow("loss scalar") << R"({"type":"train","step":1,"loss":1.5})"
                                     << R"("loss" is not an object of per-task numbers)";
        QTest::newRow("task value") << R"({"type":"train","step":1,"weight":{"visual":"high"}})"
                                    << R"("weight.visual" is not a number)";
        QTest::newRow("lr groups") << R"({"type":"train","step":1,"lr_groups":[0.1]})"
                                   << R"("lr_groups" is not an object of numbers)";
        QTest::newRow("lr group") << R"({"type":"train","step":1,"lr_groups":{"trunk":true}})"
                                  << R"("lr_groups.trunk" is not a number)";
        QTest::newRow("eval figure") << R"({"type":"eval","step":1,"verification_auc":"0.9"})"
                                     << R"("verification_auc" is not a number)";
        QTest::newRow("held-out name") << R"({"type":"eval","step":1,"held_out":5})"
                                       << R"("held_out" is not a string)";
        QTest::newRow("grad") << R"({"type":"train","step":1,"grad":[0.5]})"
                              << R"("grad" is not an object)";
        QTest::newRow("grad cos") << R"({"type":"train","step":1,"grad":{"cos":{"caricature-visual":"x"}}})"
                                  << R"("grad.cos.caricature-visual" is not a number)";
        QTest::newRow("band quantile") << R"({"type":"train","step":1,"weight_by_modality":{"photo":{"q10":{"visual":true}}}})"
                                       << R"("weight_by_modality.photo.q10.visual" is not a number)";
        QTest::newRow("band samples") << R"({"type":"train","step":1,"weight_by_modality":{"caricature":{"samples":0.5}}})"
                                      << R"("weight_by_modality.caricature.samples" is not a whole number)";
        QTest::newRow("other step") << R"({"type":"note","step":[1]})"
                                    << R"("step" is not a whole number)";
    }

    void wrongTypes()
    {
        QFETCH(QString, line);
        QFETCH(QString, why);
        try {
            run::metricsRecordFromJson(json::parse(line.toStdString()));
            QFAIL("a line with a wrong type was read");
        } catch (const run::MetricsRecordError& e) {
            QCOMPARE(QString::fromUtf8(e.what()), why);
        }
    }

    // A corrupt line is skipped and reported as "<file>:<line>: why, skipped", so a user can
    // open the file at that line.
    void corruptLineNamesFileAndLine()
    {
        const std::string good = run::toJson(fullStep()).dump() + "\n";
        const std::string path = writeLines(fresh("corrupt.jsonl"),
                                            good + good +
                                                R"({"type":"train","step":3,"loss":"high"})"
                                                "\n" +
                                                good + "not json\n" + good);
        const auto m = run::readMetricsFile(path);
        QCOMPARE(m.train.size(), size_t(4));
        QCOMPARE(
            m.problems,
            (std::vector<std::string>{path + ":3: \"loss\" is not an object of per-task numbers, skipped", path + ":5: not a JSON object, skipped"}));
        // --resume drops what the reader skips, and keeps the rest as written.
        run::truncateMetricsAfter(path, 1000);
        const auto kept = run::readMetricsFile(path);
        QVERIFY(kept.problems.empty());
        QCOMPARE(kept.train.size(), size_t(4));
        QCOMPARE(io::readFile(path), good + good + good + good);
    }

    void trainerEventPayloads()
    {
        const run::TrainerEvent metrics{run::TrainerEvent::Kind::Metrics, 42, fullStep(), {}};
        QCOMPARE(metrics.stepRecord().step, 42LL);
        QVERIFY_THROWS_EXCEPTION(std::bad_variant_access, metrics.heldOut());
        const run::TrainerEvent state{run::TrainerEvent::Kind::StateChanged, 3, run::RunState::Paused, "paused"};
        QCOMPARE(QString::fromLatin1(run::runStateName(state.state())), QStringLiteral("paused"));
        const run::TrainerEvent started{run::TrainerEvent::Kind::Started, 0, run::RunStarted{0, 100, 10, 80, 20, 5, "/runs/a"}, "/runs/a"};
        QCOMPARE(started.started().totalSteps, 100LL);
        QCOMPARE(started.started().heldOutImages, size_t(20));
        const run::TrainerEvent warning{run::TrainerEvent::Kind::Warning, 0, {}, "careful"};
        QVERIFY(std::holds_alternative<std::monostate>(warning.payload));
        run::EventQueue q;
        q.push(metrics);
        q.push(state);
        const auto drained = q.drain();
        QCOMPARE(drained.size(), size_t(2));
        QCOMPARE(drained[0].stepRecord().loss, fullStep().loss);
    }

    // The run list's line: the last step's losses and the best of each held-out figure.
    void summaryOfRecords()
    {
        const auto rd = run::RunDirectory::create(fresh("summary").toStdString(), json{{"dataset", "/data/cavi"}, {"steps", 100}});
        rd.appendMetrics(fullStep());
        run::HeldOutRecord early = fullHeldOut(), late = fullHeldOut();
        early.figures.caricatureAcc = 0.9;  // the best caricature figure comes early
        late.step = 80;
        late.figures.verification->acc = 0.95;
        rd.appendMetrics(early);
        rd.appendMetrics(late);
        rd.writeStatus("finished", 42);
        const run::RunSummary s = run::summarizeRun(rd.path());
        QVERIFY2(s.ok, s.error.c_str());
        QCOMPARE(s.state, std::string("finished"));
        QCOMPARE(s.step, 42LL);
        QCOMPARE(s.totalSteps, 100LL);
        QCOMPARE(s.dataset, std::string("/data/cavi"));
        QCOMPARE(s.lastLoss, fullStep().loss);
        QCOMPARE(s.imagesPerS, std::optional<double>(310.5));
        QCOMPARE(s.best.verificationAcc, std::optional<double>(0.95));
        QCOMPARE(s.best.caricatureAcc, std::optional<double>(0.9));
        QCOMPARE(s.best.verificationAuc, std::optional<double>(0.9));
        QVERIFY(!s.live);
        QCOMPARE(s.ranks, 1);
        const auto dp = run::RunDirectory::create(fresh("summary-dp").toStdString(),
                                                  json{{"dataset", "/data/cavi"}, {"distributed", {{"world_size", 4}, {"backend", "gloo"}}}});
        QCOMPARE(run::summarizeRun(dp.path()).ranks, 4);

        const run::RunSummary broken = run::summarizeRun(fresh("no-such-run").toStdString());
        QVERIFY(!broken.ok);
        QCOMPARE(broken.state, std::string("broken"));
        QVERIFY(!broken.error.empty());
    }
};

QTEST_GUILESS_MAIN(TestRunRecords)
#include "test_run_records.moc"
