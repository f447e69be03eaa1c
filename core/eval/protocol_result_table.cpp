// The paper-style terminal table of a protocol result (eval::formatProtocolTable).
#include "eval/protocol_eval.h"

#include <cstdio>
#include <sstream>

namespace carilab::eval {

namespace {

std::string pct(const std::optional<double>& v)
{
    if (!v) return "   -   ";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%6.2f%%", 100.0 * *v);
    return buf;
}

std::string pct(const MetricValues& m, const char* key)
{
    const auto it = m.find(key);
    return pct(it == m.end() ? std::nullopt : std::optional<double>(it->second));
}

// "mean% +- std" of a metric, dashes when no fold had it.
std::string meanStd(const MetricValues& mean, const MetricValues& sd, const char* key)
{
    const auto m = mean.find(key);
    if (m == mean.end()) return "        -        ";
    const auto s = sd.find(key);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%6.2f%% +- %5.2f", 100.0 * m->second, 100.0 * (s == sd.end() ? 0.0 : s->second));
    return buf;
}

void verificationTable(std::ostream& o, const VerificationResult& v)
{
    char buf[64];
    o << "\nVerification      AUC       VAL@FAR=0.1%  VAL@FAR=1%    Accuracy      EER       pairs\n";
    for (const auto& f : v.folds) {
        std::snprintf(buf, sizeof buf, "  fold %-3s      ", f.fold.c_str());
        o << buf << pct(f.metrics, "auc") << "    " << pct(f.metrics, "val_far_0.1%") << "      " << pct(f.metrics, "val_far_1%") << "      "
          << pct(f.metrics, "accuracy") << "     " << pct(f.metrics, "eer") << "   " << f.pairs.value_or(0) << "\n";
    }
    o << "  mean +- std\n"
      << "    AUC          " << meanStd(v.mean, v.stdev, "auc") << "\n"
      << "    VAL@FAR=0.1% " << meanStd(v.mean, v.stdev, "val_far_0.1%") << "\n"
      << "    VAL@FAR=1%   " << meanStd(v.mean, v.stdev, "val_far_1%") << "\n"
      << "    Accuracy     " << meanStd(v.mean, v.stdev, "accuracy") << "\n"
      << "    EER          " << meanStd(v.mean, v.stdev, "eer") << "\n";
}

void classificationTable(std::ostream& o, const ClassificationResult& c)
{
    o << "\nIdentification (closed set, softmax)\n"
      << "  caricature branch on caricatures  " << pct(c.caricatureAcc) << "  (" << c.caricatures.value_or(0) << " images)\n"
      << "  visual branch on photos           " << pct(c.visualAcc) << "  (" << c.photos.value_or(0) << " images)\n";
    if (c.imagesOfUnknownIdentities.value_or(0) > 0)
        o << "  " << *c.imagesOfUnknownIdentities << " image(s) of identities the run was not trained on: not scored\n";
    if (c.listedIdentities)
        o << "  among the list's " << *c.listedIdentities << " identities only (the official code's classes):\n"
          << "  caricature branch on caricatures  " << pct(c.caricatureAccListed) << "\n"
          << "  visual branch on photos           " << pct(c.visualAccListed) << "\n";
}

void identificationTable(std::ostream& o, const IdentificationResult& id)
{
    char buf[128];
    o << "\nIdentification by embedding (" << id.direction << ")   Rank-1     Rank-10    probes  gallery\n";
    for (const auto& f : id.folds) {
        std::snprintf(buf, sizeof buf, "  fold %-8s                     ", f.fold.c_str());
        o << buf << pct(f.metrics, "rank1") << "    " << pct(f.metrics, "rank10") << "   " << f.probes.value_or(0) << "  " << f.gallery.value_or(0)
          << "\n";
    }
    o << "  mean +- std  Rank-1 " << meanStd(id.mean, id.stdev, "rank1") << "   Rank-10 " << meanStd(id.mean, id.stdev, "rank10") << "\n";
}

}  // namespace

std::string formatProtocolTable(const ProtocolOutcome& r)
{
    std::ostringstream o;
    o << (r.name.empty() ? r.protocol : r.name) << (r.dataset.empty() ? "" : "  (" + r.dataset + ")") << "\n";
    if (r.verification) verificationTable(o, *r.verification);
    if (r.classification) classificationTable(o, *r.classification);
    if (r.identification) identificationTable(o, *r.identification);
    if (r.identificationP2C) identificationTable(o, *r.identificationP2C);
    if (r.skipped > 0) {
        const auto shown = static_cast<long long>(r.issues.size());
        o << "\n" << r.skipped << " item(s) skipped:\n";
        for (const auto& m : r.issues) o << "  " << m << "\n";
        if (r.skipped > shown) o << "  ... (" << r.skipped - shown << " more)\n";
    }
    return o.str();
}


}  // namespace carilab::eval
