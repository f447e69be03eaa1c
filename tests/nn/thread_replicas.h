#pragma once
// An in-process nn::Replicas for the tests: the ranks of a data-parallel job as threads of one
// process, meeting at every collective. Sums add the ranks' tensors in rank order, so every
// rank holds the same bits and every run gives the same ones.
#include "nn/replicas.h"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace carilab::test {

// Where `size` thread-ranks meet; each rank's ThreadReplicas refers to one.
class ThreadGroup {
public:
    using Combine = std::function<std::vector<torch::Tensor>(const std::vector<std::vector<torch::Tensor>>& byRank)>;

    // A collective that waits longer than `timeout` throws (a test bug then fails, not hangs).
    explicit ThreadGroup(int size, std::chrono::milliseconds timeout = std::chrono::seconds(60));
    int size() const { return size_; }

    // Blocks until every rank has arrived with its tensors; the last to arrive combines them
    // (the others are blocked meanwhile, so their tensors hold still), and all get the result.
    std::vector<torch::Tensor> meet(int rank, std::vector<torch::Tensor> mine, const Combine& combine, std::chrono::milliseconds timeout);
    std::vector<torch::Tensor> meet(int rank, std::vector<torch::Tensor> mine, const Combine& combine) { return meet(rank, std::move(mine), combine, timeout_); }

private:
    const int size_;
    const std::chrono::milliseconds timeout_;
    std::mutex mutex_;
    std::condition_variable done_;
    std::vector<std::vector<torch::Tensor>> inputs_;
    std::vector<torch::Tensor> result_;
    int arrived_ = 0;
    std::uint64_t generation_ = 0;  // completed collectives; a waiter leaves when it moves
};

class ThreadReplicas final : public nn::Replicas {
public:
    ThreadReplicas(ThreadGroup& group, int rank) : group_(group), rank_(rank) {}
    int rank() const override { return rank_; }
    int size() const override { return group_.size(); }
    void sum(std::vector<torch::Tensor>& tensors) override;
    torch::Tensor gather(const torch::Tensor& tensor) override;
    void broadcast(std::vector<torch::Tensor>& tensors, int root) override;
    void barrier(std::chrono::milliseconds timeout) override;

    // How many sums this rank has taken part in (the tests count the collectives per step).
    int sums() const { return sums_; }

private:
    ThreadGroup& group_;
    const int rank_;
    int sums_ = 0;
};

// Runs fn on `size` threads, one rank each, and joins them. Returns what each rank threw (""
// where nothing): QTest's checks must run on the test's own thread.
std::vector<std::string> runRanks(int size, const std::function<void(ThreadReplicas&)>& fn);

}  // namespace carilab::test
