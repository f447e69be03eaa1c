#pragma once
// What a user reads of an exception: LibTorch appends a C++ backtrace (dozens of frames) to its
// messages, which belongs in no status.json or dialog.
#include <exception>
#include <string>

namespace carilab::run {

// e's message without LibTorch's backtrace. An allocation failure while training with `batch`
// images per step (> 0) becomes advice to lower --batch.
std::string userMessage(const std::exception& e, int batch = 0);

}  // namespace carilab::run
