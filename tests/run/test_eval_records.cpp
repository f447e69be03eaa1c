// eval.json as types (run/eval_records.h): a file shaped as carilab-cli eval and the trainer
// write it reads whole, older files (missing keys, a fold written as a number, no "type" on
// held_out) still read, a known key of the wrong type is an error naming the file and the key,
// model selection's "best" and every protocol result go out and back unchanged; the terminal table
// prints from the types.
#include "eval/protocol_eval.h"
#include "io/atomic_file.h"
#include "run/eval_records.h"

#include <QtTest/QtTest>

#include <cmath>
#include <filesystem>
#include <limits>
#include <set>

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

// A CaVI result with every part eval::evaluateProtocol and run evaluation fill.
run::ProtocolResult fullCaviResult()
{
    run::ProtocolResult r;
    r.protocol = "cavi";
    r.name = "cavi testing_1.txt";
    r.dataset = "/data/cavi";
    r.pairsFile = "/data/cavi/testing_1.txt";
    r.scoresCsv = "/runs/r/eval/cavi-testing_1-scores.csv";
    r.precision = "bf16";
    r.shuffleSeed = 1;
    r.images = 2207;
    r.unreadableImages = 1;
    r.skipped = 3;
    r.issues = {"testing_1.txt:3: unknown image", "a.jpg: unreadable"};
    eval::VerificationResult v;
    for (int f = 1; f <= 2; ++f)
        v.folds.push_back({std::to_string(f),
                           {{"auc", 0.9}, {"eer", 0.1}, {"accuracy", 0.85}, {"threshold", 0.3}, {"val_far_0.1%", 0.2}},  // no VAL@1%: NaN
                           1303,
                           634,
                           669,
                           "other folds"});
    v.mean = {{"auc", 0.9}, {"accuracy", 0.85}};
    v.stdev = {{"auc", 0.01}, {"accuracy", 0.02}};
    v.pooled = {{"auc", 0.91}, {"val_far_1%", 0.4}};
    v.pooledPairs = 2606;
    v.pairsDroppedUnreadable = 2;
    v.roc = {{0.0, 0.0}, {0.5, 0.9}, {1.0, 1.0}};
    v.histogram = eval::ScoreHistogram{-0.5, 0.96, {0, 3, 7}, {5, 2, 0}};
    r.verification = v;
    eval::IdentificationResult c2p{
        "C2P", {{"all", {{"rank1", 0.43}, {"rank5", 0.6}, {"rank10", 0.7}}, 990, 1217, 0}}, {{"rank1", 0.43}}, {{"rank1", 0.0}}, {0.43, 0.5, 0.7}};
    r.identification = c2p;
    c2p.direction = "P2C";
    c2p.cmc = {0.5, std::numeric_limits<double>::quiet_NaN()};
    r.identificationP2C = c2p;
    r.classification = eval::ClassificationResult{0.55, std::nullopt, 990, 0, 4, 0.6, std::nullopt, 195};
    r.checkpoint = "/runs/r/checkpoints/step-00000700.pt";
    r.step = 700;
    r.mirrorAverage = true;
    r.zoomOut = {1.1};
    r.crop = run::CropRecord{"face-api", "protocol", 11399, 10514};
    r.ensemble = run::EnsembleRecord{{{"/a/step-1.pt", "face-api", 1}, {"/b/step-2.pt", "box", 2}}, "averaged"};
    return r;
}

// WebCaricature: a view, a verification threshold from DevTrain, identification folds by name.
run::ProtocolResult webcariResult()
{
    run::ProtocolResult r;
    r.protocol = "webcari-restricted";
    r.name = "restricted view1";
    r.dataset = "/data/webcari";
    r.view = 1;
    r.images = 400;
    r.unreadableImages = 0;
    eval::VerificationResult v;
    v.folds.push_back({"1", {{"auc", 0.8}, {"threshold", 0.2}}, 100, 50, 50, "tuning set"});
    v.pooledPairs = 100;
    r.verification = v;
    r.identification = eval::IdentificationResult{"P2C", {{"fold1", {{"rank1", 0.3}}, 40, 10, 2}, {"10", {}, 40, 10, 0}}, {}, {}, {}};
    r.model = "pretrained:face-resnet";
    return r;
}

void compareParts(const run::ProtocolResult& a, const run::ProtocolResult& b)
{
    QCOMPARE(b.protocol, a.protocol);
    QCOMPARE(b.name, a.name);
    QCOMPARE(b.pairsFile, a.pairsFile);
    QCOMPARE(b.precision, a.precision);
    QVERIFY(b.view == a.view && b.shuffleSeed == a.shuffleSeed && b.images == a.images && b.step == a.step);
    QCOMPARE(b.skipped, a.skipped);
    QCOMPARE(b.issues, a.issues);
    QCOMPARE(b.checkpoint, a.checkpoint);
    QCOMPARE(b.model, a.model);
    QCOMPARE(b.zoomOut, a.zoomOut);
    QVERIFY(b.mirrorAverage == a.mirrorAverage && b.crop.has_value() == a.crop.has_value() && b.ensemble.has_value() == a.ensemble.has_value());
    QCOMPARE(b.verification.has_value(), a.verification.has_value());
    if (a.verification) {
        QCOMPARE(b.verification->folds.size(), a.verification->folds.size());
        for (std::size_t i = 0; i < a.verification->folds.size(); ++i) {
            QCOMPARE(b.verification->folds[i].fold, a.verification->folds[i].fold);
            QCOMPARE(b.verification->folds[i].metrics, a.verification->folds[i].metrics);  // NaN went out as null, came back absent
            QCOMPARE(b.verification->folds[i].thresholdFrom, a.verification->folds[i].thresholdFrom);
        }
        QCOMPARE(b.verification->mean, a.verification->mean);
        QCOMPARE(b.verification->pooled, a.verification->pooled);
        QVERIFY(b.verification->pooledPairs == a.verification->pooledPairs);
        QCOMPARE(b.verification->roc, a.verification->roc);
        QCOMPARE(b.verification->histogram.has_value(), a.verification->histogram.has_value());
    }
    QCOMPARE(b.identification.has_value(), a.identification.has_value());
    if (a.identification) {
        QCOMPARE(b.identification->direction, a.identification->direction);
        QCOMPARE(b.identification->folds.size(), a.identification->folds.size());
        for (std::size_t i = 0; i < a.identification->folds.size(); ++i) {
            QCOMPARE(b.identification->folds[i].fold, a.identification->folds[i].fold);
            QCOMPARE(b.identification->folds[i].metrics, a.identification->folds[i].metrics);
            QVERIFY(b.identification->folds[i].probesWithoutMate == a.identification->folds[i].probesWithoutMate);
        }
    }
    QCOMPARE(b.identificationP2C.has_value(), a.identificationP2C.has_value());
    QCOMPARE(b.classification.has_value(), a.classification.has_value());
    if (a.classification) {
        QVERIFY(b.classification->caricatureAcc == a.classification->caricatureAcc && b.classification->visualAcc == a.classification->visualAcc);
        QVERIFY(b.classification->caricatureAccListed == a.classification->caricatureAccListed);
        QVERIFY(b.classification->visualAccListed == a.classification->visualAccListed);
        QVERIFY(b.classification->listedIdentities == a.classification->listedIdentities);
        QVERIFY(b.classification->imagesOfUnknownIdentities == a.classification->imagesOfUnknownIdentities);
    }
}

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
        r.zoomOut = {1.1, 1.2};
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
        QCOMPARE(back.zoomOut, r.zoomOut);
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

    // A protocol result written by the one writer reads back the same, and writes the same bytes
    // again; through a file as the Evaluation tab reads it.
    void protocolResultsRoundTrip()
    {
        for (const run::ProtocolResult& r : {fullCaviResult(), webcariResult()}) {
            const json j = run::toJson(r);
            const run::ProtocolResult back = run::protocolResultFromJson(j);
            compareParts(r, back);
            QCOMPARE(run::toJson(back).dump(), j.dump());
            const std::string path = write(QStringLiteral("protocols.json"), json{{"protocols", {{"k", j}}}}.dump(2));
            QCOMPARE(run::toJson(run::readEvalFile(path).protocols.at("k")).dump(), j.dump());
        }
        // The keys the files have always had, NaN written as null.
        const json j = run::toJson(fullCaviResult());
        QCOMPARE(j["verification"]["folds"][0]["fold"], json(1));  // folds are numbered
        QVERIFY(j["verification"]["folds"][0]["val_far_1%"].is_number() && j.dump().find("\"val_far_1%\":null") != std::string::npos);
        QCOMPARE(j["verification"]["histogram"]["genuine"], json::parse("[0, 3, 7]"));  // counts stay whole
        QVERIFY(j["classification"].contains("visual_acc") && j["classification"].contains("visual_acc_listed"));
        QCOMPARE(j["identification_p2c"]["direction"], json("P2C"));
        QCOMPARE(j["ensemble"]["members"][1]["crop"], json("box"));
        QCOMPARE(j["crop"]["images_with_face_box"], json(10514));
        const json w = run::toJson(webcariResult());
        QCOMPARE(w["identification"]["folds"][1]["fold"], json("10"));  // identification folds are names
        QVERIFY(!w.contains("classification") && !w.contains("pairs_file") && !w.contains("shuffle_seed") && w["view"] == 1);
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
    // The terminal table reads the struct; a result's JSON form prints the same.
    void tableFromTypes()
    {
        const run::ProtocolResult r = fullCaviResult();
        const std::string t = eval::formatProtocolTable(r);
        QVERIFY(t.rfind("cavi testing_1.txt  (/data/cavi)\n", 0) == 0);
        QVERIFY(t.find("  fold 1         90.00%") != std::string::npos);
        QVERIFY(t.find("    AUC           90.00% +-  1.00") != std::string::npos);
        QVERIFY(t.find("visual branch on photos              -     (0 images)") != std::string::npos);  // not computed
        QVERIFY(t.find("among the list's 195 identities only") != std::string::npos);
        QVERIFY(t.find("4 image(s) of identities the run was not trained on") != std::string::npos);
        QVERIFY(t.find("Identification by embedding (P2C)") != std::string::npos);
        QVERIFY(t.find("3 item(s) skipped:\n  testing_1.txt:3: unknown image\n  a.jpg: unreadable\n  ... (1 more)\n") != std::string::npos);
        QCOMPARE(eval::formatProtocolTable(eval::protocolOutcomeFromJson(run::toJson(r))), t);  // the table survives the file
    }

    // Results CariLab wrote on this machine write back byte for byte (read only). A key it never
    // wrote (a hand-added "diag" in one run) is not read, so not compared.
    void realResultsWriteBack()
    {
        const std::set<std::string> ours = {"protocol",       "name",           "dataset",
                                            "pairs_file",     "scores_csv",     "precision",
                                            "view",           "images",         "unreadable_images",
                                            "shuffle_seed",   "skipped",        "issues",
                                            "verification",   "identification", "identification_p2c",
                                            "classification", "checkpoint",     "model",
                                            "step",           "mirror_average", "crop",
                                            "ensemble",       "zoom_out"};
        int compared = 0;
        std::error_code ec;
        for (const auto& run : std::filesystem::directory_iterator("/work/runs", ec)) {
            const std::string path = run.path().string() + "/eval.json";
            if (!std::filesystem::exists(path)) continue;
            const json file = json::parse(io::readFile(path));
            for (const auto& [key, p] : run::readEvalFile(path).protocols) {
                json expected = json::object();
                for (const auto& [k, v] : file["protocols"][key].items())
                    if (ours.count(k)) expected[k] = v;
                QVERIFY2(run::toJson(p).dump() == expected.dump(), (path + ": " + key).c_str());
                ++compared;
            }
        }
        if (compared == 0) QSKIP("no real run folders on this machine");
        qInfo("%d results written back", compared);
    }
};

QTEST_GUILESS_MAIN(TestEvalRecords)
#include "test_eval_records.moc"
