#pragma once
// nn::Replicas over a c10d process group: Gloo for CPU tensors, NCCL for CUDA ones when this
// LibTorch has it (Gloo through host memory otherwise). sum() travels in buckets of up to 25 MB,
// all launched before the first is waited for; gradient buckets (startGradientSum) go through a
// second process group of their own, so they can run while the backward pass does collectives
// on the first (sync-BN) without the two orders mixing. Every failed collective (a rank that died,
// hangs past the timeout) becomes a std::runtime_error that names this rank, the operation and
// c10d's reason.
#include "dist/launch_env.h"
#include "nn/replicas.h"

#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/Store.hpp>

#include <memory>
#include <string>

namespace carilab::dist {

class ProcessGroupReplicas : public nn::Replicas {
public:
    // Rendezvous and group creation; blocks until every rank is there (or the timeout passes).
    static std::unique_ptr<ProcessGroupReplicas> connect(const LaunchEnv& env, Backend backend, std::chrono::milliseconds timeout);
    // Gloo, or NCCL for a CUDA device when available.
    static Backend backendFor(bool cuda);

    int rank() const override { return rank_; }
    int size() const override { return size_; }
    int localRank() const override { return localRank_; }
    std::string backendName() const override { return dist::backendName(backend_); }
    Backend backend() const { return backend_; }
    std::chrono::milliseconds timeout() const { return timeout_; }

    void sum(std::vector<torch::Tensor>& tensors) override;
    torch::Tensor gather(const torch::Tensor& tensor) override;
    void broadcast(std::vector<torch::Tensor>& tensors, int root) override;
    void barrier(std::chrono::milliseconds timeout) override;
    bool overlapsGradients() const override { return true; }
    std::unique_ptr<nn::PendingSum> startGradientSum(torch::Tensor flat) override;
    torch::Device gradientDevice(torch::Device d) const override { return commDevice(d); }

private:
    ProcessGroupReplicas(int rank, int size, Backend backend, std::chrono::milliseconds timeout, c10::intrusive_ptr<c10d::Store> store,
                         c10::intrusive_ptr<c10d::ProcessGroup> group, c10::intrusive_ptr<c10d::ProcessGroup> gradients);
    [[noreturn]] void fail(const std::string& op, const std::exception& e) const;
    // The device the backend communicates on for a tensor living on `d`.
    torch::Device commDevice(torch::Device d) const;

    int rank_, size_, localRank_ = 0;
    Backend backend_;
    std::chrono::milliseconds timeout_;
    c10::intrusive_ptr<c10d::Store> store_;
    c10::intrusive_ptr<c10d::ProcessGroup> group_;
    c10::intrusive_ptr<c10d::ProcessGroup> gradients_;
};

}  // namespace carilab::dist
