#include "run/batch_memory.h"

#include <malloc.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace carilab::run {

namespace {

double heapInUse()
{
    const struct mallinfo2 m = ::mallinfo2();
    return static_cast<double>(m.uordblks) + static_cast<double>(m.hblkhd);
}

// Heap growth while a forward pass of `n` zero images holds its autograd graph. Eval mode: no
// dropout draws and no batch-norm statistics change, so training is not disturbed.
double graphBytes(nn::MultiTaskNet& net, int inputSize, int n)
{
    const auto input = torch::zeros({n, 3, inputSize, inputSize}).set_requires_grad(true);
    const double before = heapInUse();
    const auto out = net->forward(input);  // alive (with its graph) until the measure is taken
    return heapInUse() - before;
}

std::string gigabytes(double bytes)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f GB", bytes / 1e9);
    return buf;
}

}  // namespace

double trainingBytesPerImage(nn::MultiTaskNet& net, int inputSize)
{
    const bool wasTraining = net->is_training();
    net->eval();
    graphBytes(net, inputSize, 2);  // first call: one-time allocations (workspaces) out of the way
    const double two = graphBytes(net, inputSize, 2), four = graphBytes(net, inputSize, 4);
    net->train(wasTraining);
    return four > two ? (four - two) / 2.0 : 0.0;
}

long long availableMemoryBytes()
{
    std::ifstream in("/proc/meminfo");
    std::string key;
    long long kb = 0;
    std::string unit;
    while (in >> key >> kb >> unit)
        if (key == "MemAvailable:") return kb * 1024;
    return -1;
}

void checkBatchFits(int batch, double bytesPerImage, long long available)
{
    if (bytesPerImage <= 0 || available <= 0 || batch <= 0) return;
    // Twice the forward's share: the backward's gradients of the activations are as large.
    const double perImage = 2.0 * bytesPerImage;
    const double budget = 0.9 * static_cast<double>(available);
    if (static_cast<double>(batch) * perImage <= budget) return;
    const long long fits = static_cast<long long>(budget / perImage);
    throw std::runtime_error("a batch of " + std::to_string(batch) + " images needs about " + gigabytes(static_cast<double>(batch) * perImage) +
                             " for training but about " + gigabytes(static_cast<double>(available)) +
                             " of memory are available; the largest batch that fits is about " + std::to_string(fits) +
                             (fits < 2 ? " (too few to train: free memory or use a smaller input size)" : " (--batch)"));
}

}  // namespace carilab::run
