#include "eval/identification_metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace carilab::eval {

double CmcResult::rank(int k) const
{
    if (cmc.empty()) return std::numeric_limits<double>::quiet_NaN();
    return cmc[static_cast<size_t>(std::clamp(k, 1, static_cast<int>(cmc.size()))) - 1];
}

CmcResult cmcFromScores(const std::vector<float>& scores, const std::vector<int>& probeIds, const std::vector<int>& galleryIds, int maxRank)
{
    const size_t P = probeIds.size(), G = galleryIds.size();
    if (scores.size() != P * G) throw std::invalid_argument("cmcFromScores: score matrix is not probes x gallery");
    CmcResult r;
    maxRank = std::max(1, std::min<int>(maxRank, static_cast<int>(std::max<size_t>(G, 1))));
    std::vector<long long> hist(static_cast<size_t>(maxRank) + 1, 0);
    r.ranks.assign(P, 0);
    for (size_t i = 0; i < P; ++i) {
        const float* s = scores.data() + i * G;
        float best = -std::numeric_limits<float>::infinity();
        bool mate = false;
        for (size_t g = 0; g < G; ++g)
            if (galleryIds[g] == probeIds[i]) {
                mate = true;
                best = std::max(best, s[g]);
            }
        if (!mate) {
            ++r.probesWithoutMate;
            continue;
        }
        int above = 0;
        for (size_t g = 0; g < G; ++g) above += galleryIds[g] != probeIds[i] && s[g] >= best;
        r.ranks[i] = above + 1;
        ++r.probes;
        if (above + 1 <= maxRank) ++hist[static_cast<size_t>(above) + 1];
    }
    r.cmc.assign(static_cast<size_t>(maxRank), 0.0);
    long long cum = 0;
    for (int k = 1; k <= maxRank; ++k) {
        cum += hist[static_cast<size_t>(k)];
        r.cmc[static_cast<size_t>(k) - 1] = r.probes ? static_cast<double>(cum) / r.probes : std::numeric_limits<double>::quiet_NaN();
    }
    return r;
}

}  // namespace carilab::eval
