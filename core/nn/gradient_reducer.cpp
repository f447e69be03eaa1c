#include "nn/gradient_reducer.h"

#include <map>
#include <stdexcept>

namespace carilab::nn {

struct GradientReducer::Bucket {
    torch::Tensor flat;
    std::vector<size_t> params;
    size_t waiting = 0;  // parameters whose gradient has not arrived this backward
    std::unique_ptr<PendingSum> sum;
};

namespace {

std::int64_t bytesOf(const torch::Tensor& t) { return t.numel() * static_cast<std::int64_t>(t.element_size()); }

}  // namespace

std::vector<std::vector<size_t>> planBuckets(const std::vector<torch::Tensor>& tensors, GradientBucketSizes sizes)
{
    std::vector<std::vector<size_t>> plan;
    std::vector<std::int64_t> filled;
    std::map<std::pair<c10::ScalarType, std::string>, size_t> open;  // the open bucket of each kind
    for (size_t i = 0; i < tensors.size(); ++i) {
        const auto key = std::make_pair(tensors[i].scalar_type(), tensors[i].device().str());
        auto found = open.find(key);
        const std::int64_t cap = found != open.end() && found->second == 0 ? sizes.firstBytes : sizes.bytes;
        if (found == open.end() || (filled[found->second] > 0 && filled[found->second] + bytesOf(tensors[i]) > cap)) {
            plan.emplace_back();
            filled.push_back(0);
            found = open.insert_or_assign(key, plan.size() - 1).first;
        }
        plan[found->second].push_back(i);
        filled[found->second] += bytesOf(tensors[i]);
    }
    return plan;
}

GradientReducer::GradientReducer(const std::vector<torch::Tensor>& params, Replicas& replicas, GradientBucketSizes sizes) : replicas_(replicas)
{
    for (auto it = params.rbegin(); it != params.rend(); ++it)
        if (it->requires_grad()) params_.push_back(*it);
    bucketOf_.resize(params_.size());
    offsetOf_.resize(params_.size());
    arrived_.assign(params_.size(), 0);
    for (auto& indices : planBuckets(params_, sizes)) {
        Bucket& b = buckets_.emplace_back();
        std::int64_t numel = 0;
        for (size_t i : indices) {
            bucketOf_[i] = buckets_.size() - 1;
            offsetOf_[i] = numel;
            numel += params_[i].numel();
        }
        const auto& first = params_[indices.front()];
        b.flat = torch::zeros({numel}, first.options().device(replicas_.gradientDevice(first.device())));
        b.params = std::move(indices);
    }
    if (!replicas_.overlapsGradients()) return;  // everything goes in finish()
    for (size_t i = 0; i < params_.size(); ++i)
        hooks_.push_back(params_[i].register_hook([this, i](const torch::Tensor& grad) { onGradient(i, grad); }));
}

GradientReducer::~GradientReducer()
{
    for (size_t i = 0; i < hooks_.size(); ++i) params_[i].remove_hook(hooks_[i]);
}

int GradientReducer::buckets() const { return static_cast<int>(buckets_.size()); }

void GradientReducer::arm()
{
    std::lock_guard<std::mutex> lock(mutex_);
    std::fill(arrived_.begin(), arrived_.end(), 0);
    for (auto& b : buckets_) {
        b.waiting = b.params.size();
        b.sum.reset();
    }
    next_ = 0;
    startedEarly_ = 0;
    armed_ = true;
}

void GradientReducer::onGradient(size_t param, const torch::Tensor& grad)
{
    std::lock_guard<std::mutex> lock(mutex_);
    if (!armed_) return;
    if (arrived_[param])
        throw std::logic_error("GradientReducer: a parameter's gradient arrived twice in one backward pass (a second backward while armed?)");
    arrived_[param] = 1;
    Bucket& b = buckets_[bucketOf_[param]];
    torch::NoGradGuard noGrad;
    b.flat.narrow(0, offsetOf_[param], grad.numel()).view(grad.sizes()).copy_(grad);
    --b.waiting;
    const size_t before = next_;
    startReady();
    startedEarly_ += static_cast<int>(next_ - before);
}

// Starts, in bucket order, every bucket whose gradients are all in.
void GradientReducer::startReady()
{
    while (next_ < buckets_.size() && buckets_[next_].waiting == 0) {
        buckets_[next_].sum = replicas_.startGradientSum(buckets_[next_].flat);
        ++next_;
    }
}

void GradientReducer::finish()
{
    std::lock_guard<std::mutex> lock(mutex_);
    if (!armed_) throw std::logic_error("GradientReducer::finish() without arm()");
    armed_ = false;
    torch::NoGradGuard noGrad;
    for (size_t i = 0; i < params_.size(); ++i) {
        if (arrived_[i]) continue;
        Bucket& b = buckets_[bucketOf_[i]];
        auto slot = b.flat.narrow(0, offsetOf_[i], params_[i].numel());
        // Without hooks the gradient is in .grad; a parameter that got none counts as zeros.
        const torch::Tensor& g = params_[i].grad();
        if (g.defined())
            slot.view(g.sizes()).copy_(g);
        else
            slot.zero_();
        --b.waiting;
    }
    startReady();
    const double ranks = replicas_.size();
    for (auto& b : buckets_) {
        b.sum->wait();
        b.flat.div_(ranks);
        for (size_t i : b.params) {
            auto& p = params_[i];
            if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
            p.mutable_grad().copy_(b.flat.narrow(0, offsetOf_[i], p.numel()).view(p.sizes()));
        }
    }
}

}  // namespace carilab::nn
