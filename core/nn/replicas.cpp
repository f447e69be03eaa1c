#include "nn/replicas.h"

namespace carilab::nn {

void Replicas::average(std::vector<torch::Tensor>& tensors)
{
    sum(tensors);
    for (auto& t : tensors) t.div_(static_cast<double>(size()));
}

torch::Tensor Replicas::averaged(const torch::Tensor& tensor)
{
    std::vector<torch::Tensor> v{tensor.detach().clone()};
    average(v);
    return v.front();
}

bool Replicas::everywhere(bool value)
{
    std::vector<torch::Tensor> v{torch::tensor({value ? 0.0f : 1.0f})};
    sum(v);
    return v.front().item<float>() == 0.0f;
}

namespace {

struct DoneSum final : PendingSum {
    void wait() override {}
};

}  // namespace

std::unique_ptr<PendingSum> Replicas::startGradientSum(torch::Tensor flat)
{
    std::vector<torch::Tensor> v{std::move(flat)};
    sum(v);
    return std::make_unique<DoneSum>();
}

void Replicas::averageGradients(const std::vector<torch::Tensor>& params)
{
    std::vector<torch::Tensor> grads;
    grads.reserve(params.size());
    for (const auto& p : params) {
        if (!p.requires_grad()) continue;
        if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
        grads.push_back(p.grad());
    }
    average(grads);
}

}  // namespace carilab::nn
