#include "dist/process_group_replicas.h"

#include "dist/rendezvous.h"
#include "nn/gradient_reducer.h"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <functional>
#include <stdexcept>

namespace carilab::dist {

namespace {

c10::intrusive_ptr<c10d::ProcessGroup> makeGroup(Backend backend, const c10::intrusive_ptr<c10d::Store>& store, const LaunchEnv& env,
                                                 std::chrono::milliseconds timeout, const std::string& purpose)
{
    auto prefixed = c10::make_intrusive<c10d::PrefixStore>(std::string("carilab/") + dist::backendName(backend) + "/" + purpose, store);
#ifdef USE_C10D_NCCL
    if (backend == Backend::Nccl) {
        auto o = c10d::ProcessGroupNCCL::Options::create();
        o->timeout = timeout;
        return c10::make_intrusive<c10d::ProcessGroupNCCL>(prefixed, env.rank, env.worldSize, o);
    }
#endif
    if (backend == Backend::Nccl) throw std::runtime_error("this LibTorch has no NCCL; distributed CUDA training needs a CUDA LibTorch built with it");
    auto o = c10d::ProcessGroupGloo::Options::create(timeout);
    // Loopback when the rendezvous is local (one node), else the interface that reaches the
    // host name; GLOO_SOCKET_IFNAME picks one explicitly, as in PyTorch.
    if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname)
        o->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
    else if (env.masterAddr == "127.0.0.1" || env.masterAddr == "localhost")
        o->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
    else
        o->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    return c10::make_intrusive<c10d::ProcessGroupGloo>(prefixed, env.rank, env.worldSize, o);
}

// A gradient bucket's all-reduce in flight.
class PendingAllReduce final : public nn::PendingSum {
public:
    PendingAllReduce(c10::intrusive_ptr<c10d::Work> work, std::function<void(const std::exception&)> fail)
        : work_(std::move(work)), fail_(std::move(fail))
    {}
    void wait() override
    {
        try {
            work_->wait();
        } catch (const std::exception& e) {
            fail_(e);
        }
    }

private:
    c10::intrusive_ptr<c10d::Work> work_;
    std::function<void(const std::exception&)> fail_;
};

}  // namespace

ProcessGroupReplicas::ProcessGroupReplicas(int rank, int size, Backend backend, std::chrono::milliseconds timeout,
                                           c10::intrusive_ptr<c10d::Store> store, c10::intrusive_ptr<c10d::ProcessGroup> group,
                                           c10::intrusive_ptr<c10d::ProcessGroup> gradients)
    : rank_(rank), size_(size), backend_(backend), timeout_(timeout), store_(std::move(store)), group_(std::move(group)), gradients_(std::move(gradients))
{}

Backend ProcessGroupReplicas::backendFor(bool cuda)
{
#ifdef USE_C10D_NCCL
    if (cuda) return Backend::Nccl;
#endif
    (void)cuda;
    return Backend::Gloo;
}

std::unique_ptr<ProcessGroupReplicas> ProcessGroupReplicas::connect(const LaunchEnv& env, Backend backend, std::chrono::milliseconds timeout)
{
    auto store = connectStore(env, timeout);
    c10::intrusive_ptr<c10d::ProcessGroup> group, gradients;
    try {
        group = makeGroup(backend, store, env, timeout, "main");
        gradients = makeGroup(backend, store, env, timeout, "gradients");
    } catch (const std::exception& e) {
        const std::string what = e.what();
        throw std::runtime_error("rank " + std::to_string(env.rank) + " could not join the " + dist::backendName(backend) +
                                 " process group: " + what.substr(0, what.find('\n')));
    }
    std::unique_ptr<ProcessGroupReplicas> r(new ProcessGroupReplicas(env.rank, env.worldSize, backend, timeout, store, group, gradients));
    r->localRank_ = env.localRank;
    return r;
}

void ProcessGroupReplicas::fail(const std::string& op, const std::exception& e) const
{
    const std::string what = e.what();
    throw std::runtime_error("rank " + std::to_string(rank_) + " of " + std::to_string(size_) + ": the " + op +
                             " with the other ranks failed (a rank ended, or did not answer within " + std::to_string(timeout_.count() / 1000) +
                             " s): " + what.substr(0, what.find('\n')));
}

torch::Device ProcessGroupReplicas::commDevice(torch::Device d) const { return backend_ == Backend::Nccl ? d : torch::Device(torch::kCPU); }

void ProcessGroupReplicas::sum(std::vector<torch::Tensor>& tensors)
{
    if (tensors.empty()) return;
    torch::NoGradGuard noGrad;
    constexpr std::int64_t kBytes = nn::GradientBucketSizes{}.bytes;
    const auto plan = nn::planBuckets(tensors, {kBytes, kBytes});
    std::vector<torch::Tensor> flat(plan.size());
    std::vector<c10::intrusive_ptr<c10d::Work>> work(plan.size());
    try {
        for (size_t b = 0; b < plan.size(); ++b) {
            std::vector<torch::Tensor> parts;
            for (size_t i : plan[b]) parts.push_back(tensors[i].reshape({-1}));
            flat[b] = torch::cat(parts).to(commDevice(tensors[plan[b].front()].device())).contiguous();
            std::vector<torch::Tensor> one{flat[b]};
            work[b] = group_->allreduce(one);
        }
        for (auto& w : work) w->wait();
    } catch (const std::exception& e) {
        fail("all-reduce", e);
    }
    for (size_t b = 0; b < plan.size(); ++b) {
        std::int64_t at = 0;
        for (size_t i : plan[b]) {
            auto& t = tensors[i];
            t.copy_(flat[b].narrow(0, at, t.numel()).view(t.sizes()));
            at += t.numel();
        }
    }
}

std::unique_ptr<nn::PendingSum> ProcessGroupReplicas::startGradientSum(torch::Tensor flat)
{
    std::vector<torch::Tensor> one{std::move(flat)};
    try {
        return std::make_unique<PendingAllReduce>(gradients_->allreduce(one), [this](const std::exception& e) { fail("gradient all-reduce", e); });
    } catch (const std::exception& e) {
        fail("gradient all-reduce", e);
    }
}

torch::Tensor ProcessGroupReplicas::gather(const torch::Tensor& tensor)
{
    torch::NoGradGuard noGrad;
    const torch::Tensor mine = tensor.detach().to(commDevice(tensor.device())).contiguous();
    std::vector<std::vector<torch::Tensor>> out(1);
    for (int r = 0; r < size_; ++r) out[0].push_back(torch::empty_like(mine));
    std::vector<torch::Tensor> in{mine};
    try {
        group_->allgather(out, in)->wait();
    } catch (const std::exception& e) {
        fail("all-gather", e);
    }
    return torch::cat(out[0]).to(tensor.device());
}

void ProcessGroupReplicas::broadcast(std::vector<torch::Tensor>& tensors, int root)
{
    if (tensors.empty()) return;
    torch::NoGradGuard noGrad;
    std::vector<torch::Tensor> parts;
    for (const auto& t : tensors) parts.push_back(t.detach().reshape({-1}).to(torch::kFloat64));
    std::vector<torch::Tensor> flat{torch::cat(parts).to(commDevice(tensors.front().device())).contiguous()};
    c10d::BroadcastOptions o;
    o.rootRank = root;
    try {
        group_->broadcast(flat, o)->wait();
    } catch (const std::exception& e) {
        fail("broadcast", e);
    }
    std::int64_t at = 0;
    for (auto& t : tensors) {
        t.detach().copy_(flat[0].narrow(0, at, t.numel()).view(t.sizes()));
        at += t.numel();
    }
}

void ProcessGroupReplicas::barrier(std::chrono::milliseconds timeout)
{
    c10d::BarrierOptions o;
    o.timeout = timeout;
    try {
        group_->barrier(o)->wait();
    } catch (const std::exception& e) {
        fail("barrier", e);
    }
}

}  // namespace carilab::dist
