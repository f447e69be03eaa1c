#pragma once
// The network's parameters in three groups that a fine-tune trains at different speeds: the
// shared pretrained layers move least, the branches' pretrained bodies more, and the new
// layers (identification logits) most.
#include <array>

namespace carilab::nn {

enum class ParamGroup : int { Trunk = 0, Branches = 1, Heads = 2 };
constexpr int kNumParamGroups = 3;
// Names exactly as in config.json ("lr_multipliers") and metrics.jsonl ("lr_groups").
constexpr std::array<const char*, kNumParamGroups> kParamGroupNames = {"trunk", "branches", "heads"};
constexpr std::array<ParamGroup, kNumParamGroups> kParamGroups = {ParamGroup::Trunk, ParamGroup::Branches, ParamGroup::Heads};

// Learning-rate multiplier per group, indexed by ParamGroup: group lr = base lr x multiplier.
using LrMultipliers = std::array<double, kNumParamGroups>;
constexpr LrMultipliers kUnitLrMultipliers = {1.0, 1.0, 1.0};

inline double multiplierOf(const LrMultipliers& m, ParamGroup g) { return m[static_cast<std::size_t>(g)]; }

}  // namespace carilab::nn
