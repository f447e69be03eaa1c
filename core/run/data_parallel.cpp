#include "run/data_parallel.h"

#include "run/training_step.h"

#include <cstdio>
#include <sstream>
#include <stdexcept>

namespace carilab::run {

namespace {

// Every tensor that must be the same on all ranks, in a fixed order.
std::vector<torch::Tensor> modelState(TrainingModel& m)
{
    std::vector<torch::Tensor> v = m.net->parameters();
    for (const auto& b : m.net->buffers()) v.push_back(b);
    for (const auto& b : m.center->buffers()) v.push_back(b);
    for (const auto& p : m.strategy->parameters()) v.push_back(p);
    return v;
}

std::uint64_t fnv1a(const unsigned char* p, std::size_t n, std::uint64_t h)
{
    for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

std::uint64_t fnv1a(const torch::Tensor& t, std::uint64_t h)
{
    const torch::Tensor c = t.detach().to(torch::kCPU).contiguous();
    return fnv1a(static_cast<const unsigned char*>(c.data_ptr()), static_cast<std::size_t>(c.numel()) * c.element_size(), h);
}

// An optimiser's per-parameter state (moments, step counts) in parameter order, through each
// state's own serialisation: its layout differs by optimiser, and the optimiser's whole archive
// names states by their tensors' addresses, which differ between processes.
std::uint64_t fnv1a(torch::optim::Optimizer& optimizer, std::uint64_t h)
{
    for (auto& group : optimizer.param_groups())
        for (const auto& p : group.params()) {
            const auto it = optimizer.state().find(c10::guts::to_string(p.unsafeGetTensorImpl()));
            if (it == optimizer.state().end()) continue;
            torch::serialize::OutputArchive archive;
            it->second->serialize(archive);
            std::ostringstream out;
            archive.save_to(out);
            const std::string bytes = out.str();
            h = fnv1a(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), h);
        }
    return h;
}

}  // namespace

GlobalBatch exchangeStepStart(nn::Replicas& replicas, bool stopRequested, const data::Batch& shard)
{
    const std::int64_t cari = shard.isCaricature.sum().item<std::int64_t>();
    std::vector<torch::Tensor> v{torch::tensor({stopRequested ? 1.0 : 0.0, static_cast<double>(cari),
                                                static_cast<double>(shard.isCaricature.size(0) - cari)},
                                               torch::kFloat64)};
    replicas.sum(v);
    GlobalBatch g;
    g.stop = v[0][0].item<double>() > 0;
    g.caricatures = static_cast<std::int64_t>(v[0][1].item<double>());
    g.photos = static_cast<std::int64_t>(v[0][2].item<double>());
    return g;
}

void toGlobalShares(nn::TaskLosses& losses, const GlobalBatch& global, int ranks, const nn::TaskLossOptions& options)
{
    // Verification's rows are the whole batch, equal on every rank (scale 1); an identification
    // task's rows are one modality, so its share is ranks x local rows / global rows.
    const auto share = [&](std::int64_t local, std::int64_t all) { return all > 0 ? static_cast<double>(ranks) * local / all : 0.0; };
    const std::int64_t n = losses.photos + losses.caricatures, globalN = global.photos + global.caricatures;
    const double cari = options.idHead.caricatureHeadOnPhotos ? share(n, globalN) : share(losses.caricatures, global.caricatures);
    const auto scale = torch::tensor({share(n, globalN), cari, share(losses.photos, global.photos)}, losses.losses.options().requires_grad(false));
    losses.losses = losses.losses * scale;
    losses.crossEntropy = losses.crossEntropy * scale;
    losses.center = losses.center * scale[0];
}

void averageForLog(nn::Replicas& replicas, StepOutcome& o, const GlobalBatch& global)
{
    const auto d = [](const torch::Tensor& t) { return t.detach().to(torch::kCPU, torch::kFloat64).reshape({-1}); };
    const torch::Tensor strategyLoss = o.strategy.strategyLoss.defined() ? d(o.strategy.strategyLoss) : torch::zeros({1}, torch::kFloat64);
    std::vector<torch::Tensor> v{torch::cat({d(o.losses.losses), d(o.losses.crossEntropy), d(o.losses.center), d(o.strategy.networkLoss), strategyLoss})};
    replicas.average(v);
    o.losses.losses = v[0].narrow(0, 0, 3);
    o.losses.crossEntropy = v[0].narrow(0, 3, 3);
    o.losses.center = v[0][6];
    o.strategy.networkLoss = v[0][7];
    if (o.strategy.strategyLoss.defined()) o.strategy.strategyLoss = v[0][8];
    o.losses.photos = global.photos;
    o.losses.caricatures = global.caricatures;
}

void broadcastModel(nn::Replicas& replicas, TrainingModel& model)
{
    std::vector<torch::Tensor> state = modelState(model);
    replicas.broadcast(state, 0);
}

void broadcastBuffers(nn::Replicas& replicas, nn::MultiTaskNet& net)
{
    std::vector<torch::Tensor> buffers = net->buffers();
    replicas.broadcast(buffers, 0);
}

std::uint64_t replicaFingerprint(TrainingModel& model)
{
    std::uint64_t h = 1469598103934665603ull;
    for (const auto& t : modelState(model)) h = fnv1a(t, h);
    h = fnv1a(model.optimizer->optimizer(), h);
    if (auto* own = model.strategy->ownOptimizer()) h = fnv1a(*own, h);
    return h;
}

std::string fingerprintText(std::uint64_t fingerprint)
{
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(fingerprint));
    return buf;
}

void checkReplicasAgree(nn::Replicas& replicas, std::uint64_t fingerprint, long long step)
{
    const torch::Tensor all = replicas.gather(torch::tensor({static_cast<std::int64_t>(fingerprint)}, torch::kInt64));
    for (int r = 1; r < replicas.size(); ++r)
        if (all[r].item<std::int64_t>() != all[0].item<std::int64_t>())
            throw std::runtime_error("the ranks' models differ after step " + std::to_string(step) + ": rank " + std::to_string(r) +
                                     "'s parameters are not rank 0's (data-parallel training went out of step: please report it)");
}

}  // namespace carilab::run
