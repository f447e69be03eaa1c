#pragma once
// Whether a training batch fits in memory, known before the first one is allocated: a batch too
// large otherwise fails a minute in, with LibTorch's raw "can't allocate" message.
#include "nn/multitask_net.h"

namespace carilab::run {

// Bytes a training forward pass keeps per image for its backward: measured (heap in use while
// the autograd graph of a forward at 2 and at 4 zero images is alive), CPU only. 0 when it
// cannot be measured (another device, or an allocator that hides its use).
double trainingBytesPerImage(nn::MultiTaskNet& net, int inputSize);

// MemAvailable from /proc/meminfo; -1 when unknown.
long long availableMemoryBytes();

// Throws std::runtime_error giving the largest batch that fits when `batch` images of
// `bytesPerImage` (plus the loader's copies) need more than 90% of `available` bytes.
// Does nothing when either measure is unknown.
void checkBatchFits(int batch, double bytesPerImage, long long available);

}  // namespace carilab::run
