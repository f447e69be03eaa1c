#include "perf/flop_count.h"

#include <ATen/record_function.h>
#include <torch/torch.h>

#include <cstring>
#include <stdexcept>

namespace carilab::perf {

namespace {

enum class OpKind { None, Conv, Linear, MatMul, AddMM, BatchNorm };

OpKind kindOf(const char* name)
{
    static const struct {
        const char* name;
        OpKind kind;
    } kOps[] = {
        {"aten::conv1d", OpKind::Conv},          {"aten::conv2d", OpKind::Conv},
        {"aten::conv3d", OpKind::Conv},          {"aten::convolution", OpKind::Conv},
        {"aten::_convolution", OpKind::Conv},    {"aten::linear", OpKind::Linear},
        {"aten::matmul", OpKind::MatMul},        {"aten::mm", OpKind::MatMul},
        {"aten::bmm", OpKind::MatMul},           {"aten::addmm", OpKind::AddMM},
        {"aten::batch_norm", OpKind::BatchNorm},
    };
    for (const auto& op : kOps)
        if (!std::strcmp(name, op.name)) return op.kind;
    return OpKind::None;
}

// What the start callback learned from the inputs, for the end callback that sees the output.
struct OpContext : at::ObserverContext {
    OpKind kind = OpKind::None;
    bool outermost = false;
    double macsPerOutput = 0.0;  // multiply-adds per output element
    bool bias = false;
    double inputElements = 0.0;
};

thread_local FlopCount* tCount = nullptr;
thread_local int tDepth = 0;

const at::Tensor* tensorInput(const at::RecordFunction& fn, size_t i)
{
    const auto in = fn.inputs();
    return i < in.size() && in[i].isTensor() ? &in[i].toTensor() : nullptr;
}

std::unique_ptr<at::ObserverContext> onStart(const at::RecordFunction& fn)
{
    const OpKind kind = kindOf(fn.name());
    if (kind == OpKind::None || !tCount) return nullptr;
    auto ctx = std::make_unique<OpContext>();
    ctx->kind = kind;
    ctx->outermost = tDepth++ == 0;
    if (!ctx->outermost) return ctx;
    const at::Tensor* a = tensorInput(fn, 0);
    const at::Tensor* b = tensorInput(fn, 1);
    const at::Tensor* c = tensorInput(fn, 2);
    switch (kind) {
    case OpKind::Conv:  // weight [C_out, C_in/groups, k...]: per output, C_in/groups * prod(k) MACs
        if (b && b->dim() >= 2) ctx->macsPerOutput = static_cast<double>(b->numel()) / static_cast<double>(b->size(0));
        ctx->bias = c && c->defined();
        break;
    case OpKind::Linear:  // weight [out, in]
        if (b && b->dim() == 2) ctx->macsPerOutput = static_cast<double>(b->size(1));
        ctx->bias = c && c->defined();
        break;
    case OpKind::MatMul:  // a [..., K]
        if (a && a->dim() >= 1) ctx->macsPerOutput = static_cast<double>(a->size(-1));
        break;
    case OpKind::AddMM:  // self + mat1 [M, K] @ mat2 [K, N]
        if (b && b->dim() == 2) ctx->macsPerOutput = static_cast<double>(b->size(1));
        ctx->bias = true;
        break;
    case OpKind::BatchNorm:
        if (a) ctx->inputElements = static_cast<double>(a->numel());
        break;
    case OpKind::None: break;
    }
    return ctx;
}

void onEnd(const at::RecordFunction& fn, at::ObserverContext* base)
{
    auto* ctx = static_cast<OpContext*>(base);
    if (!ctx) return;
    --tDepth;
    if (!ctx->outermost || !tCount) return;
    double outputs = 0.0;
    const auto& outs = fn.outputs();
    if (!outs.empty() && outs[0].isTensor()) outputs = static_cast<double>(outs[0].toTensor().numel());
    const double flops = 2.0 * outputs * ctx->macsPerOutput + (ctx->bias ? outputs : 0.0);
    switch (ctx->kind) {
    case OpKind::Conv:
        tCount->conv += flops;
        ++tCount->convOps;
        break;
    case OpKind::Linear:
    case OpKind::MatMul:
    case OpKind::AddMM:
        tCount->linear += flops;
        ++tCount->linearOps;
        break;
    case OpKind::BatchNorm:
        tCount->batchNorm += 2.0 * ctx->inputElements;
        ++tCount->batchNormOps;
        break;
    case OpKind::None: break;
    }
}

}  // namespace

FlopCount countFlops(const std::function<void()>& work)
{
    if (tCount) throw std::logic_error("countFlops is not reentrant");
    FlopCount count;
    tCount = &count;
    tDepth = 0;
    const auto handle = at::addThreadLocalCallback(
        at::RecordFunctionCallback(onStart, onEnd).needsInputs(true).needsOutputs(true).scopes({at::RecordScope::FUNCTION}));
    try {
        work();
    } catch (...) {
        at::removeCallback(handle);
        tCount = nullptr;
        throw;
    }
    at::removeCallback(handle);
    tCount = nullptr;
    return count;
}

}  // namespace carilab::perf
