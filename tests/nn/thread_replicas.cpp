#include "thread_replicas.h"

#include <stdexcept>
#include <thread>

namespace carilab::test {

namespace {

std::vector<torch::Tensor> detached(const std::vector<torch::Tensor>& tensors)
{
    std::vector<torch::Tensor> out;
    out.reserve(tensors.size());
    for (const auto& t : tensors) out.push_back(t.detach());
    return out;
}

void copyInto(std::vector<torch::Tensor>& tensors, const std::vector<torch::Tensor>& values)
{
    torch::NoGradGuard noGrad;
    for (std::size_t i = 0; i < tensors.size(); ++i) tensors[i].copy_(values[i]);
}

}  // namespace

ThreadGroup::ThreadGroup(int size, std::chrono::milliseconds timeout) : size_(size), timeout_(timeout), inputs_(static_cast<std::size_t>(size)) {}

std::vector<torch::Tensor> ThreadGroup::meet(int rank, std::vector<torch::Tensor> mine, const Combine& combine, std::chrono::milliseconds timeout)
{
    std::unique_lock<std::mutex> lock(mutex_);
    const std::uint64_t generation = generation_;
    inputs_[static_cast<std::size_t>(rank)] = std::move(mine);
    if (++arrived_ == size_) {
        torch::NoGradGuard noGrad;
        result_ = combine(inputs_);
        for (auto& in : inputs_) in.clear();
        arrived_ = 0;
        ++generation_;
        done_.notify_all();
        return result_;
    }
    // A rank cannot overwrite result_ before every rank has copied it: the next combine needs
    // every rank to have arrived at the next collective, hence to have left this one.
    if (!done_.wait_for(lock, timeout, [&] { return generation_ != generation; }))
        throw std::runtime_error("rank " + std::to_string(rank) + ": the other ranks did not reach the collective within " +
                                 std::to_string(timeout.count()) + " ms");
    return result_;
}

void ThreadReplicas::sum(std::vector<torch::Tensor>& tensors)
{
    ++sums_;
    const auto total = group_.meet(rank_, detached(tensors), [](const std::vector<std::vector<torch::Tensor>>& byRank) {
        std::vector<torch::Tensor> acc;
        for (const auto& t : byRank.front()) acc.push_back(t.clone());
        for (std::size_t r = 1; r < byRank.size(); ++r)
            for (std::size_t i = 0; i < acc.size(); ++i) acc[i].add_(byRank[r][i]);
        return acc;
    });
    copyInto(tensors, total);
}

torch::Tensor ThreadReplicas::gather(const torch::Tensor& tensor)
{
    const auto all = group_.meet(rank_, {tensor.detach()}, [](const std::vector<std::vector<torch::Tensor>>& byRank) {
        std::vector<torch::Tensor> parts;
        for (const auto& mine : byRank) parts.push_back(mine.front());
        return std::vector<torch::Tensor>{torch::cat(parts)};
    });
    return all.front().clone();
}

void ThreadReplicas::broadcast(std::vector<torch::Tensor>& tensors, int root)
{
    const auto values = group_.meet(rank_, detached(tensors), [root](const std::vector<std::vector<torch::Tensor>>& byRank) {
        std::vector<torch::Tensor> out;
        for (const auto& t : byRank[static_cast<std::size_t>(root)]) out.push_back(t.clone());
        return out;
    });
    copyInto(tensors, values);
}

void ThreadReplicas::barrier(std::chrono::milliseconds timeout)
{
    group_.meet(rank_, {}, [](const auto&) { return std::vector<torch::Tensor>{}; }, timeout);
}

std::vector<std::string> runRanks(int size, const std::function<void(ThreadReplicas&)>& fn)
{
    ThreadGroup group(size);
    std::vector<std::string> errors(static_cast<std::size_t>(size));
    std::vector<std::thread> threads;
    for (int r = 0; r < size; ++r)
        threads.emplace_back([&, r] {
            ThreadReplicas replicas(group, r);
            try {
                fn(replicas);
            } catch (const std::exception& e) {
                errors[static_cast<std::size_t>(r)] = e.what();
            }
        });
    for (auto& t : threads) t.join();
    return errors;
}

}  // namespace carilab::test
