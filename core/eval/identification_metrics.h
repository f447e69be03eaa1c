#pragma once
// Closed-set identification by similarity ranking: Rank-k and the CMC curve.
#include <vector>

namespace carilab::eval {

struct CmcResult {
    std::vector<double> cmc;  // cmc[k-1]: fraction of ranked probes whose identity is within the top k
    std::vector<int> ranks;  // per probe, 1-based rank of its identity; 0 when its identity is not in the gallery
    int probes = 0;  // probes ranked (identity present in the gallery)
    int probesWithoutMate = 0;  // probes left out: no gallery image of their identity
    double rank(int k) const;  // cmc[k-1], clamped to the curve's length
};

// scores: probes x gallery, row-major, higher = more similar. A probe counts at rank k when any
// gallery image of its identity is among the k highest scores; ties with other identities are
// counted against the probe (rank = 1 + number of other-identity gallery images scoring at least
// as high as its best same-identity image), so a constant scorer never looks good.
CmcResult cmcFromScores(const std::vector<float>& scores, const std::vector<int>& probeIds, const std::vector<int>& galleryIds, int maxRank);

}  // namespace carilab::eval
