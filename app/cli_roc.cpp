#include "cli_args.h"
#include "cli_commands.h"

#include "eval/protocol_eval.h"
#include "eval/score_file.h"

#include <algorithm>
#include <limits>
#include <iostream>

namespace carilab::cli {

int runRoc(const Argv& argv)
{
    Args a("roc",
           "Verification metrics of an external score file with CariLab's own definitions: AUC (trapezoid, "
           "ties half), EER, VAL@FAR=0.1% and 1% (largest TAR with FAR <= f, no interpolation), k-fold "
           "accuracy (threshold chosen on the other folds).");
    a.option("scores", "FILE.csv", "rows 'score,label' (label 1/0; higher score = more similar; a header row is allowed)")
        .option("folds", "K",
                "folds for the accuracy (pairs in file order; 1 = threshold on the same pairs; default 10, or one "
                "per row when there are fewer)")
        .flag("distance", "the scores are distances (lower = more similar): they are negated first")
        .flag("json", "print one JSON object");
    if (!a.parse(argv)) return 0;
    auto file = eval::readScoreFile(a.get("scores"));
    if (a.flagSet("distance"))
        for (auto& p : file.pairs) p.score = -p.score;
    const int k = a.has("folds") ? a.getInt("folds") : static_cast<int>(std::min<size_t>(10, file.pairs.size()));
    if (k < 1) throw UsageError("--folds must be at least 1 (1 = threshold on the same pairs), got " + a.get("folds"));
    if (static_cast<size_t>(k) > file.pairs.size())
        throw UsageError("--folds " + a.get("folds") + " is more than the " + std::to_string(file.pairs.size()) + " usable rows of " +
                         a.get("scores") + "; every fold needs at least one pair");
    std::vector<eval::ScoredFold> folds(static_cast<size_t>(k));
    for (int f = 0; f < k; ++f) {
        const size_t lo = file.pairs.size() * static_cast<size_t>(f) / static_cast<size_t>(k),
                     hi = file.pairs.size() * static_cast<size_t>(f + 1) / static_cast<size_t>(k);
        folds[static_cast<size_t>(f)].pairs.assign(file.pairs.begin() + static_cast<long>(lo), file.pairs.begin() + static_cast<long>(hi));
    }
    eval::ProtocolOutcome r;
    r.protocol = "roc";
    r.name = a.get("scores");
    r.verification = eval::verifyFolds(folds, {});
    r.skipped = static_cast<long long>(file.issues.size());
    for (size_t i = 0; i < file.issues.size() && i < 50; ++i) r.issues.push_back(file.issues[i].where() + ": " + file.issues[i].message);
    // One class only: AUC, EER and VAL@FAR need both, and accuracy then measures nothing.
    const auto positives = std::count_if(file.pairs.begin(), file.pairs.end(), [](const eval::Pair& p) { return p.positive; });
    std::string undefined;
    if (positives == 0 || positives == static_cast<long>(file.pairs.size())) {
        undefined = a.get("scores") + " holds only " + (positives ? "positive (same-person)" : "negative (different-person)") +
            " pairs: AUC, EER and VAL@FAR are undefined and the accuracy measures nothing";
        std::cerr << "roc: warning: " << undefined << "\n";
    }
    if (a.flagSet("json")) {
        nlohmann::json j = eval::toJson(r);
        j.erase("dataset");  // a score file has none
        j["scores"] = a.get("scores");
        if (!undefined.empty()) j["metrics_undefined"] = undefined;
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    const auto metric = [&](const char* name) {
        const auto& pooled = r.verification->pooled;
        const auto it = pooled.find(name);
        return it == pooled.end() ? std::numeric_limits<double>::quiet_NaN() : it->second;
    };
    std::cout << "pairs " << r.verification->pooledPairs.value_or(0) << "   AUC " << metric("auc") << "   EER " << metric("eer")
              << "   VAL@FAR=0.1% " << metric("val_far_0.1%") << "   VAL@FAR=1% " << metric("val_far_1%") << "\n\n";
    std::cout << eval::formatProtocolTable(r);
    return 0;
}

}  // namespace carilab::cli
