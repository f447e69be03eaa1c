#pragma once
// The three tasks, in the one order used by every tensor of losses or weights.
#include <array>

namespace carilab::nn {

constexpr int kNumTasks = 3;
enum Task : int { kVerification = 0, kCaricature = 1, kVisual = 2 };
// Names exactly as in metrics.jsonl and config.json.
constexpr std::array<const char*, kNumTasks> kTaskNames = {"verification", "caricature", "visual"};

}  // namespace carilab::nn
