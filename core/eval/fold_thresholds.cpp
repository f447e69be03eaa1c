#include "eval/fold_thresholds.h"

#include <algorithm>
#include <utility>

namespace carilab::eval {

namespace {

// Every distinct score, highest first, with how many pairs have it; per fold, (index of its
// score, +1 for a positive / -1 for a negative) for each of its pairs, by index.
struct ScoreTable {
    std::vector<double> score;
    std::vector<long long> count;
    std::vector<long long> g;  // accepted positives minus accepted negatives down to each score
    std::vector<std::vector<std::pair<int, int>>> foldPairs;
};

ScoreTable buildTable(const std::vector<std::vector<Pair>>& folds)
{
    struct Item {
        double score;
        int fold;
        bool positive;
    };
    std::vector<Item> all;
    for (size_t f = 0; f < folds.size(); ++f)
        for (const auto& p : folds[f]) all.push_back({p.score, static_cast<int>(f), p.positive});
    std::stable_sort(all.begin(), all.end(), [](const Item& a, const Item& b) { return a.score > b.score; });
    ScoreTable t;
    t.foldPairs.resize(folds.size());
    long long g = 0;
    for (const auto& it : all) {
        if (t.score.empty() || t.score.back() != it.score) {
            t.score.push_back(it.score);
            t.count.push_back(0);
            t.g.push_back(g);
        }
        t.count.back() += 1;
        g += it.positive ? 1 : -1;
        t.g.back() = g;
        t.foldPairs[static_cast<size_t>(it.fold)].push_back({static_cast<int>(t.score.size()) - 1, it.positive ? 1 : -1});
    }
    return t;
}

// First index of the maximum of g over [lo, hi], by a sparse table of argmaxima.
class RangeArgMax {
public:
    explicit RangeArgMax(const std::vector<long long>& g) : g_(g)
    {
        const int n = static_cast<int>(g.size());
        table_.push_back(std::vector<int>(n));
        for (int i = 0; i < n; ++i) table_[0][i] = i;
        for (int w = 1; (1 << w) <= n; ++w) {
            std::vector<int> row(n - (1 << w) + 1);
            for (int i = 0; i + (1 << w) <= n; ++i) row[i] = pick(table_[w - 1][i], table_[w - 1][i + (1 << (w - 1))]);
            table_.push_back(std::move(row));
        }
    }
    int query(int lo, int hi) const
    {
        int w = 0;
        while ((2 << w) <= hi - lo + 1) ++w;
        return pick(table_[w][lo], table_[w][hi - (1 << w) + 1]);
    }

private:
    int pick(int a, int b) const { return g_[b] > g_[a] ? b : a; }  // a < b: the earlier on ties
    const std::vector<long long>& g_;
    std::vector<std::vector<int>> table_;
};

// bestThreshold on all pairs but one fold's. On the complement the accuracy after accepting
// every score >= score[j] is (its negatives + g[j] - F(j)) / its size, where F is the fold's own
// share of g: constant between the fold's scores, so each of those stretches needs one range
// maximum of g. Ties go to the highest score, as in bestThreshold.
double thresholdWithout(const ScoreTable& t, const RangeArgMax& argmax, const std::vector<std::pair<int, int>>& fold, std::vector<long long>& mine)
{
    const int m = static_cast<int>(t.score.size());
    for (const auto& [j, d] : fold) mine[static_cast<size_t>(j)] += 1;
    auto inComplement = [&](int j) { return t.count[static_cast<size_t>(j)] > mine[static_cast<size_t>(j)]; };
    long long bestValue = 0, share = 0;
    int best = -1;
    auto consider = [&](int lo, int hi) {
        if (lo > hi) return;
        const int j = argmax.query(lo, hi);
        if (t.g[static_cast<size_t>(j)] - share > bestValue) {
            bestValue = t.g[static_cast<size_t>(j)] - share;
            best = j;
        }
    };
    int lo = 0;
    for (size_t i = 0; i < fold.size();) {
        const int j = fold[i].first;
        consider(lo, j - 1);
        for (; i < fold.size() && fold[i].first == j; ++i) share += fold[i].second;
        lo = j;
    }
    consider(lo, m - 1);
    double threshold = 0;
    if (best >= 0) {
        int next = best + 1;
        while (next < m && !inComplement(next)) ++next;
        threshold =
            next < m ? (t.score[static_cast<size_t>(best)] + t.score[static_cast<size_t>(next)]) / 2.0 : t.score[static_cast<size_t>(best)] - 1e-6;
    } else {
        int top = 0;
        while (top < m && !inComplement(top)) ++top;
        if (top < m) threshold = t.score[static_cast<size_t>(top)] + 1e-6;
    }
    for (const auto& [j, d] : fold) mine[static_cast<size_t>(j)] = 0;
    return threshold;
}

}  // namespace

std::vector<double> leaveOneFoldOutThresholds(const std::vector<std::vector<Pair>>& folds)
{
    const ScoreTable t = buildTable(folds);
    std::vector<double> out(folds.size(), 0.0);
    if (t.score.empty()) return out;
    const RangeArgMax argmax(t.g);
    std::vector<long long> mine(t.score.size(), 0);
    for (size_t f = 0; f < folds.size(); ++f) out[f] = thresholdWithout(t, argmax, t.foldPairs[f], mine);
    return out;
}

}  // namespace carilab::eval
