#include "eval/embedder.h"

#include "io/thread_priority.h"

#include <cstring>
#include <future>
#include <set>
#include <stdexcept>

namespace carilab::eval {

int EmbeddedImages::rowOf(int image) const
{
    return image >= 0 && static_cast<size_t>(image) < rowIndex_.size() ? rowIndex_[static_cast<size_t>(image)] : -1;
}

EmbeddedImages embedImages(nn::MultiTaskNet& net, const data::DatasetIndex& index, const std::vector<int>& images, data::ImageCache& cache,
                           const data::PipelineOptions& pipeline, int batch, torch::Device device, const EmbedProgress& progress,
                           const FacePreparer& prepare)
{
    const bool wasTraining = net->is_training();
    net->eval();
    torch::NoGradGuard ng;
    const int size = pipeline.size;
    const nn::TestViews views{pipeline.mirrorAverage, pipeline.zoomOut};
    const size_t n = images.size();
    batch = std::max(1, batch);
    EmbeddedImages out;
    out.images = images;
    out.ok.assign(n, 0);
    out.rowIndex_.assign(index.images.size(), -1);
    for (size_t i = 0; i < n; ++i) out.rowIndex_[static_cast<size_t>(images[i])] = static_cast<int>(i);
    std::int64_t dim = 0;
    std::vector<torch::Tensor> embChunks, predChunks, probChunks;
    std::vector<size_t> rows;

    // Decoding and cropping chunk k+1 on a second thread while the network runs on chunk k:
    // the network's threads leave gaps (serial ops, sleeping at barriers), and a JPEG folder's
    // decode and crop otherwise add a third to a 160-px evaluation.
    struct Chunk {
        std::vector<size_t> rows;
        torch::Tensor x;  // [k, 3, size, size], CPU
        torch::Tensor isCaricature;  // [k] bool
        std::vector<data::ProtocolIssue> failures;
    };
    auto prepareChunk = [&](size_t start) {
        torch::NoGradGuard noGrad;  // thread-local: a FacePreparer's networks need it here too
        io::deprioritizeThisThread();  // a thread of its own (std::async): decode in the network's gaps
        Chunk c;
        const size_t end = std::min(n, start + static_cast<size_t>(batch));
        std::vector<cv::Mat> samples;
        std::vector<std::int64_t> cari;
        for (size_t i = start; i < end; ++i) {
            const auto& r = index.images[static_cast<size_t>(images[i])];
            try {
                double scale = 1.0;
                cv::Mat img = cache.get(index.absolutePath(r), &scale);
                const auto landmarks = data::scaled(r.landmarks, scale);
                const auto box = data::scaled(data::cropBoxFor(r, pipeline), scale);
                samples.push_back(prepare ? prepare(img, landmarks, box, pipeline) : data::preprocess(img, landmarks, pipeline, nullptr, box));
                c.rows.push_back(i);
                cari.push_back(r.modality == data::Modality::Caricature);
            } catch (const std::exception& e) {
                c.failures.push_back({r.path, 0, e.what()});
            }
        }
        if (!samples.empty()) {
            auto x = torch::empty({static_cast<long>(samples.size()), size, size, 3});
            for (size_t k = 0; k < samples.size(); ++k)
                std::memcpy(x[static_cast<long>(k)].data_ptr<float>(), samples[k].ptr<float>(), sizeof(float) * size * size * 3);
            c.x = x.permute({0, 3, 1, 2});  // channels-last strides, the network's own layout
            c.isCaricature = torch::tensor(cari).to(torch::kBool);
        }
        return c;
    };
    std::future<Chunk> next;
    if (n > 0) next = std::async(std::launch::async, prepareChunk, 0);
    for (size_t start = 0; start < n; start += static_cast<size_t>(batch)) {
        const size_t end = std::min(n, start + static_cast<size_t>(batch));
        Chunk c = next.get();
        if (end < n) next = std::async(std::launch::async, prepareChunk, end);
        out.failures.insert(out.failures.end(), c.failures.begin(), c.failures.end());
        if (c.x.defined()) {
            const auto x = c.x.to(device);
            torch::Tensor e;
            if (net->hasClassifiers()) {
                auto p = net->predict(x, c.isCaricature, views);
                e = p.embedding;
                predChunks.push_back(p.predicted.cpu());
                probChunks.push_back(p.probabilities.cpu());
            } else {
                e = net->embed(x, views);
                predChunks.push_back(torch::full({x.size(0), 3}, -1, torch::kInt64));
            }
            embChunks.push_back(e.to(torch::kCPU, torch::kFloat32));
            dim = e.size(1);
            rows.insert(rows.end(), c.rows.begin(), c.rows.end());
        }
        if (progress) progress(end, n);
    }
    if (wasTraining) net->train();
    out.embeddings = torch::zeros({static_cast<long>(n), std::max<std::int64_t>(dim, 1)});
    out.predicted = torch::full({static_cast<long>(n), 3}, -1, torch::kInt64);
    if (!rows.empty()) {
        std::vector<std::int64_t> r64(rows.begin(), rows.end());
        const auto idx = torch::tensor(r64, torch::kInt64);
        out.embeddings.index_copy_(0, idx, torch::cat(embChunks));
        out.predicted.index_copy_(0, idx, torch::cat(predChunks));
        if (!probChunks.empty()) {
            const auto probs = torch::cat(probChunks);
            out.probabilities = torch::zeros({static_cast<long>(n), probs.size(1), probs.size(2)});
            out.probabilities.index_copy_(0, idx, probs);
        }
        for (size_t r : rows) out.ok[r] = 1;
    }
    return out;
}

EmbeddedImages averageEmbedded(const std::vector<EmbeddedImages>& members)
{
    if (members.empty()) throw std::invalid_argument("an ensemble needs at least one member");
    const EmbeddedImages& first = members.front();
    EmbeddedImages out;
    out.images = first.images;
    out.rowIndex_ = first.rowIndex_;
    out.ok = first.ok;
    out.embeddings = torch::zeros_like(first.embeddings);
    const bool heads = first.probabilities.defined();
    if (heads) out.probabilities = torch::zeros_like(first.probabilities);
    std::set<std::string> failed;
    for (const auto& m : members) {
        if (m.images != first.images) throw std::invalid_argument("ensemble members embedded different image lists");
        if (m.probabilities.defined() != heads || (heads && !m.probabilities.sizes().equals(first.probabilities.sizes())))
            throw std::invalid_argument("ensemble members must all have identification heads over the same identities, or none");
        out.embeddings += m.embeddings;
        if (heads) out.probabilities += m.probabilities;
        for (size_t r = 0; r < m.ok.size(); ++r) out.ok[r] = out.ok[r] && m.ok[r];
        for (const auto& f : m.failures)
            if (failed.insert(f.file).second) out.failures.push_back(f);
    }
    out.embeddings = torch::nn::functional::normalize(out.embeddings, torch::nn::functional::NormalizeFuncOptions().dim(1).eps(1e-10));
    out.predicted = first.predicted.clone();
    if (heads) {
        out.probabilities /= static_cast<double>(members.size());
        const auto best = out.probabilities.argmax(2);
        out.predicted = torch::where(first.predicted.ge(0), best, first.predicted);
    }
    const auto unread = torch::tensor(std::vector<std::int64_t>(out.ok.begin(), out.ok.end())).eq(0);
    out.embeddings.index_put_({unread}, 0.0);
    out.predicted.index_put_({unread}, -1);
    if (heads) out.probabilities.index_put_({unread}, 0.0);
    return out;
}

}  // namespace carilab::eval
