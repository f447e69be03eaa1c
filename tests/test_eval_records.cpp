// eval.json as types (run/eval_records.h): a file shaped as carilab-cli eval and the trainer
// write it reads whole, older files (missing keys, a fold written as a number, no "type" on
// held_out) still read, a known key of the wrong type is an error naming the file and the key,
// and model selection's "best" goes out and back unchanged.
#include "io/atomic_file.h"
#include "run/eval_records.h"

#include <QtTest/QtTest>

#include <cmath>
#include <filesystem>

using namespace carilab;
using nlohmann::json;

namespace {

// Trimmed from a real run's eval.json (cavi-dynamic-700): every part, every kind of value.
const char* kEvalJson = R"({
  "best": {"checkpoint": "/runs/r/checkpoints/best/step-00000700.pt", "held_out": "validation", "score": 0.765,
           "score_is": "mean of the held-out accuracies", "step": 700},
  "held_out": {"caricature_acc": 0.54, "caricatures": 909, "epoch": 3.6, "held_out": "validation", "pairs": 18402,
               "photo_pairs": 43490, "photo_verification_acc": 0.94, "photo_verification_acc_std": 0.002,
               "photo_verification_auc": 0.98, "photo_verification_threshold": 0.57, "photos": 2114, "split": "protocol",
               "step": 700, "type": "eval", "verification_acc": 0.84, "verification_acc_std": 0.01, "verification_auc": 0.91,
               "verification_id_acc": 0.8, "verification_threshold": 0.377, "visual_acc": 0.91},
  "protocols": {
    "cavi/testing_1": {
      "checkpoint": "/runs/r/checkpoints/best/step-00000700.pt",
      "classification": {"caricature_acc": 0.55, "caricatures": 990, "images_of_unknown_identities": 0, "photos": 1217, "visual_acc": 0.92},
      "crop": {"face_crop": "face-api", "images": 11399, "images_with_face_box": 10514, "split": "auto"},
      "dataset": "/data/cavi", "images": 2207, "issues": ["x.txt:3: unknown image"], "mirror_average": false,
      "name": "cavi testing_1.txt", "pairs_file": "/data/cavi/testing_1.txt", "precision": "fp32", "protocol": "cavi",
      "scores_csv": "/runs/r/eval/cavi-testing_1-scores.csv", "shuffle_seed": 1, "skipped": 1, "step": 700, "unreadable_images": 0,
      "identification": {"cmc": [0.43, null, 0.7], "direction": "C2P",
        "folds": [{"fold": "all", "gallery": 1217, "probes": 990, "probes_without_mate": 0, "rank1": 0.43, "rank10": 0.7, "rank5": 0.63}],
        "mean": {"rank1": 0.43, "rank10": 0.7, "rank5": 0.63}, "std": {"rank1": 0.0, "rank10": 0.0, "rank5": 0.0}},
      "identification_p2c": {"cmc": [0.56], "direction": "P2C", "folds": [], "mean": {"rank1": 0.56}, "std": {"rank1": 0.0}},
      "verification": {
        "folds": [{"accuracy": 0.86, "auc": 0.93, "eer": 0.14, "fold": 1, "negatives": 669, "pairs": 1303, "positives": 634,
                   "threshold": 0.38, "threshold_from": "other folds", "val_far_0.1%": 0.145, "val_far_1%": 0.40}],
        "histogram": {"genuine": [0, 3], "impostor": [1, null], "max": 0.96, "min": -0.55},
        "mean": {"accuracy": 0.844, "auc": 0.925, "eer": 0.156, "threshold": 0.38, "val_far_0.1%": 0.195, "val_far_1%": 0.394},
        "pairs_dropped_unreadable": 0,
        "pooled": {"auc": 0.925, "eer": null, "pairs": 13035},
        "roc": [[0.0, 0.0], [0.5, 0.9], [1.0, 1.0]],
        "std": {"accuracy": 0.0087}}}},
  "all_images+mirror": {"caricature_acc": 0.6, "caricatures": 10, "dataset": "/data/cavi", "mirror_average": true,
                        "model": "/runs/r/checkpoints/step-00000700.pt", "pairs": 20, "photos": 12, "precision": "bf16",
                        "protocol": "images", "verification_acc": 0.8, "verification_acc_std": 0.01, "verification_auc": 0.9,
                        "verification_threshold": 0.3, "closed_set": "not measured"}
})";

}  // namespace

class TestEvalRecords : public QObject {
    Q_OBJECT

    QTemporaryDir tmp_;

    std::string write(const QString& name, const std::string& text)
    {
        const std::string path = tmp_.filePath(name).toStdString();
        io::writeFileAtomic(path, text);
        return path;
    }

    // The error readEvalFile gives for `text`, "" when it reads.
    std::string errorOf(const std::string& text)
    {
        try {
            run::readEvalFile(write(QStringLiteral("bad.json"), text));
        } catch (const run::EvalRecordError& e) {
            return e.what();
        }
        return {};
    }

private Q_SLOTS:
    void readsEveryPart()
    {
        const run::EvalFile f = run::readEvalFile(write(QStringLiteral("eval.json"), kEvalJson));
        QVERIFY(f.best);
        QCOMPARE(f.best->step, 700LL);
        QCOMPARE(f.best->score, 0.765);
        QCOMPARE(f.best->heldOut, std::string("validation"));
        QVERIFY(f.heldOut);
        QCOMPARE(f.heldOut->step, 700LL);
        QVERIFY(f.heldOut->figures.verification);
        QCOMPARE(f.heldOut->figures.verification->threshold, 0.377);
        QVERIFY(f.heldOut->figures.photoVerification);

        QCOMPARE(f.protocols.size(), std::size_t(1));
        const run::ProtocolResult& p = f.protocols.at("cavi/testing_1");
        QCOMPARE(p.protocol, std::string("cavi"));
        QCOMPARE(p.pairsFile, std::string("/data/cavi/testing_1.txt"));
        QCOMPARE(p.step, std::optional<long long>(700));
        QCOMPARE(p.skipped, 1LL);
        QCOMPARE(p.issues, std::vector<std::string>{"x.txt:3: unknown image"});
        QCOMPARE(p.mirrorAverage, std::optional<bool>(false));
        QVERIFY(p.crop && p.crop->faceCrop == "face-api" && p.crop->imagesWithFaceBox == 10514);
        QVERIFY(!p.view);

        QVERIFY(p.verification);
        const run::VerificationResult& v = *p.verification;
        QCOMPARE(v.folds.size(), std::size_t(1));
        QCOMPARE(v.folds[0].fold, std::string("1"));  // written as a number
        QCOMPARE(v.folds[0].metrics.at("val_far_0.1%"), 0.145);
        QCOMPARE(v.folds[0].negatives, std::optional<long long>(669));
        QCOMPARE(v.mean.at("threshold"), 0.38);
        QCOMPARE(v.pooled.count("eer"), std::size_t(0));  // null: not computed
        QCOMPARE(v.pooledPairs, std::optional<long long>(13035));
        QCOMPARE(v.stdev.size(), std::size_t(1));
        QCOMPARE(v.roc.size(), std::size_t(3));
        QCOMPARE(v.roc[1][1], 0.9);
        QVERIFY(v.histogram && v.histogram->min == -0.55 && std::isnan(v.histogram->impostor[1]));

        QVERIFY(p.identification && p.identificationP2C);
        QCOMPARE(p.identification->direction, std::string("C2P"));
        QCOMPARE(p.identification->folds[0].fold, std::string("all"));
        QCOMPARE(p.identification->folds[0].gallery, std::optional<long long>(1217));
        QVERIFY(std::isnan(p.identification->cmc[1]));
        QCOMPARE(p.identificationP2C->mean.at("rank1"), 0.56);
        QVERIFY(p.classification);
        QCOMPARE(p.classification->imagesOfUnknownIdentities, std::optional<long long>(0));

        QCOMPARE(f.images.size(), std::size_t(1));
        const run::ImagesResult& im = f.images.at("all_images+mirror");
        QCOMPARE(im.mirrorAverage, std::optional<bool>(true));
        QCOMPARE(im.precision, std::string("bf16"));
        QCOMPARE(im.closedSet, std::string("not measured"));
        QVERIFY(im.figures.verification && !im.figures.photoVerification);
        QCOMPARE(im.figures.pairs, 20LL);
        QCOMPARE(im.figures.caricatureAcc, std::optional<double>(0.6));
    }

    void missingKeysTakeDefaults()
    {
        QVERIFY(run::readEvalFile(tmp_.filePath(QStringLiteral("no-such.json")).toStdString()).protocols.empty());
        // The oldest held_out has no "type"; a protocol with nothing but a name.
        const run::EvalFile f = run::evalFileFromJson(json::parse(R"({"held_out": {"step": 5, "verification_acc": 0.5},
                                                                       "protocols": {"cavi/validation": {"name": "v", "step": null}}})"));
        QVERIFY(f.heldOut && f.heldOut->step == 5 && !f.best && f.images.empty());
        const run::ProtocolResult& p = f.protocols.at("cavi/validation");
        QCOMPARE(p.name, std::string("v"));
        QVERIFY(!p.step && !p.verification && !p.identification && !p.classification && !p.crop && !p.mirrorAverage);
        QCOMPARE(p.skipped, 0LL);
        const run::ProtocolResult q = run::protocolResultFromJson(json::parse(R"({"verification": {"folds": [{}]}})"));
        QVERIFY(q.verification && q.verification->folds[0].fold.empty() && q.verification->folds[0].metrics.empty());
        QVERIFY(q.verification->mean.empty() && q.verification->roc.empty() && !q.verification->histogram);
    }

    void wrongTypesNameTheKey()
    {
        QVERIFY(errorOf(R"({"protocols": {"cavi/validation": {"step": "five"}}})").find("\"protocols.cavi/validation.step\" is not a whole number") !=
                std::string::npos);
        QVERIFY(errorOf(R"({"protocols": {"k": {"verification": {"mean": {"auc": "high"}}}}})").find("\"protocols.k.verification.mean.auc\"") !=
                std::string::npos);
        QVERIFY(errorOf(R"({"protocols": {"k": {"verification": {"roc": [[0, 1], "junk"]}}}})").find("\"protocols.k.verification.roc[1]\"") !=
                std::string::npos);
        QVERIFY(errorOf(R"({"best": {"score": "0.7"}})").find("\"best.score\" is not a number") != std::string::npos);
        QVERIFY(errorOf(R"({"held_out": {"step": 1, "pairs": "many"}})").find("held_out: \"pairs\"") != std::string::npos);
        QVERIFY(errorOf(R"({"all_images": {"mirror_average": 1}})").find("\"all_images.mirror_average\"") != std::string::npos);
        QVERIFY(errorOf(R"({"protocols": []})").find("\"protocols\" is not an object") != std::string::npos);
        // Every error names the file; one that is not JSON says so.
        const std::string broken = errorOf("{ \"protocols\": ");
        QVERIFY(broken.find("bad.json: not valid JSON") != std::string::npos);
        QVERIFY(errorOf(R"({"best": {"step": 1.5}})").rfind(tmp_.filePath(QStringLiteral("bad.json")).toStdString(), 0) == 0);
    }

    void bestRoundTrips()
    {
        const run::BestRecord b{700, 0.765, "mean of the held-out accuracies", "validation", "/runs/r/checkpoints/best/step-00000700.pt"};
        const json j = run::toJson(b);
        QCOMPARE(j, json::parse(kEvalJson)["best"]);  // the keys the trainer has always written
        const run::BestRecord back = run::bestRecordFromJson(j);
        QCOMPARE(back.step, b.step);
        QCOMPARE(back.score, b.score);
        QCOMPARE(back.scoreIs, b.scoreIs);
        QCOMPARE(back.heldOut, b.heldOut);
        QCOMPARE(back.checkpoint, b.checkpoint);
    }

    void cropRoundTrips()
    {
        const run::CropRecord c{"face-api", "protocol", 11399, 10514};
        const json j = run::toJson(c);
        QCOMPARE(j, json::parse(R"({"face_crop": "face-api", "images": 11399, "images_with_face_box": 10514, "split": "protocol"})"));
        const auto back = run::protocolResultFromJson({{"crop", j}}).crop;
        QVERIFY(back.has_value());
        QCOMPARE(back->faceCrop, c.faceCrop);
        QCOMPARE(back->split, c.split);
        QVERIFY(back->images == c.images);
        QVERIFY(back->imagesWithFaceBox == c.imagesWithFaceBox);
        // Absent counts stay absent.
        const auto bare = run::imagesResultFromJson({{"crop", run::toJson(run::CropRecord{"align", "image", {}, {}})}}).crop;
        QVERIFY(bare && !bare->images && !bare->imagesWithFaceBox);
        QCOMPARE(bare->faceCrop, std::string("align"));
    }

    // "all_images" as run evaluation writes it reads back the same, and writes the same again.
    void imagesRoundTrips()
    {
        run::ImagesResult r;
        r.protocol = "images";
        r.dataset = "/data/cavi";
        r.model = "/runs/r/checkpoints/step-00000700.pt";
        r.precision = "fp32";
        r.closedSet = "not measured: the dataset's identities are not the classes the run was trained on";
        r.mirrorAverage = true;
        r.crop = run::CropRecord{"align", "image", 120, 0};
        r.figures.caricatures = 40;
        r.figures.photos = 80;
        r.figures.verification = run::PairFigures{0.81, 0.02, 0.43, 0.88};
        r.figures.pairs = 640;
        r.figures.photoPairs = 0;
        const json j = run::toJson(r);
        const run::ImagesResult back = run::imagesResultFromJson(j);
        QCOMPARE(back.protocol, r.protocol);
        QCOMPARE(back.dataset, r.dataset);
        QCOMPARE(back.model, r.model);
        QCOMPARE(back.precision, r.precision);
        QCOMPARE(back.closedSet, r.closedSet);
        QVERIFY(back.mirrorAverage == r.mirrorAverage);
        QVERIFY(back.crop && back.crop->images == 120LL && back.crop->faceCrop == "align");
        QVERIFY(back.figures.verification && back.figures.verification->auc == 0.88);
        QVERIFY(!back.figures.photoVerification && !back.figures.caricatureAcc);
        QCOMPARE(back.figures.pairs, 640LL);
        QCOMPARE(run::toJson(back), j);
        // Through a file, as the Evaluation tab and `eval` read it.
        const std::string path = tmp_.filePath(QStringLiteral("images.json")).toStdString();
        io::writeFileAtomic(path, json{{"all_images", j}}.dump(2));
        QCOMPARE(run::toJson(run::readEvalFile(path).images.at("all_images")), j);
    }

    // Real runs' files, where this machine has them (read only).
    void realRunsStillRead()
    {
        int read = 0;
        for (const char* run : {"/work/runs/cavi-dynamic-700", "/work/runs/cavi-trunk0.1-cosface-refit-2700"}) {
            const std::string path = std::string(run) + "/eval.json";
            if (!std::filesystem::exists(path)) continue;
            const run::EvalFile f = run::readEvalFile(path);
            QVERIFY(!f.protocols.empty());
            for (const auto& [key, p] : f.protocols) QVERIFY2(p.verification && !p.verification->folds.empty(), key.c_str());
            ++read;
        }
        if (read == 0) QSKIP("no real run folders on this machine");
    }
};

QTEST_GUILESS_MAIN(TestEvalRecords)
#include "test_eval_records.moc"
