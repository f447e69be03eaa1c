#include "match/gallery.h"

#include "data/dataset_registry.h"
#include "data/image_cache.h"
#include "io/atomic_file.h"
#include "io/user_paths.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <sstream>
#include <unistd.h>

namespace carilab::match {
namespace fs = std::filesystem;

namespace {

std::uint64_t fnv1a(const std::string& s, std::uint64_t h = 1469598103934665603ULL)
{
    for (unsigned char c : s) {
        h ^= c;
        h *= 1099511628211ULL;
    }
    return h;
}

std::vector<int> galleryImages(const data::DatasetIndex& index, const GallerySpec& spec)
{
    std::vector<int> out;
    for (size_t i = 0; i < index.images.size(); ++i)
        if (!spec.modality || index.images[i].modality == *spec.modality) out.push_back(static_cast<int>(i));
    return out;
}

}  // namespace

std::string galleryCacheFile(const run::RunModel& model, const data::DatasetIndex& index, const GallerySpec& spec, const std::string& runDir)
{
    std::error_code ec;
    std::ostringstream key;
    key << fs::weakly_canonical(model.checkpoint, ec).string() << '|' << fs::file_size(model.checkpoint, ec) << '|'
        << fs::last_write_time(model.checkpoint, ec).time_since_epoch().count() << '|' << index.root << '|' << index.format << '|'
        << (spec.modality ? data::modalityName(*spec.modality) : "both") << '|' << model.pipeline.size << '|' << model.pipeline.alignWithLandmarks
        << '|' << model.pipeline.cropToBox << '|' << model.pipeline.alignPadding << '|' << model.pipeline.standardize << '|'
        << model.pipeline.meanRgb.has_value() << '|' << model.pipeline.pixelScale << '|' << model.pretrained << '|' << model.pipeline.faceApiCrop;
    std::uint64_t h = fnv1a(key.str());
    for (int i : galleryImages(index, spec)) {
        const auto& r = index.images[static_cast<size_t>(i)];
        h = fnv1a(r.path, h);
        // A `dataset align` run changes the crops: their boxes are part of the key.
        if (const auto b = data::cropBoxFor(r, model.pipeline))
            h = fnv1a(std::to_string(b->x) + ',' + std::to_string(b->y) + ',' + std::to_string(b->width), h);
    }
    char name[64];
    std::snprintf(name, sizeof name, "gallery-%016llx.pt", static_cast<unsigned long long>(h));
    return (fs::path(runDir) / "galleries" / name).string();
}

std::string zeroShotCacheRoot(const std::string& name) { return (fs::path(io::userDataDir()) / "zero-shot" / name).string(); }

Gallery loadGallery(run::RunModel& model, const std::string& runDir, const GallerySpec& spec, const eval::EmbedProgress& progress, int batch)
{
    Gallery g;
    if (!spec.preloaded && spec.dataset.empty() && model.config.dataset.empty())
        throw std::runtime_error("the zero-shot model has no dataset of its own: choose a gallery dataset");
    g.index = spec.preloaded
        ? *spec.preloaded
        : data::loadDataset(spec.dataset.empty() ? model.config.dataset : spec.dataset, spec.dataset.empty() ? model.config.format : spec.format);
    const std::vector<int> wanted = galleryImages(g.index, spec);
    if (wanted.empty())
        throw std::runtime_error(g.index.root + ": the gallery is empty (no " +
                                 (spec.modality ? std::string(data::modalityName(*spec.modality)) + "s" : std::string("images")) + ")");
    g.cacheFile = galleryCacheFile(model, g.index, spec, runDir);
    std::error_code ec;
    if (fs::exists(g.cacheFile, ec)) {
        try {
            torch::serialize::InputArchive a;
            a.load_from(g.cacheFile);
            torch::Tensor emb, rows;
            a.read("embeddings", emb);
            a.read("images", rows);
            c10::IValue unreadable;
            a.read("unreadable", unreadable);
            if (emb.dim() == 2 && rows.numel() == emb.size(0)) {
                g.embeddings = emb;
                g.images.assign(rows.data_ptr<std::int64_t>(), rows.data_ptr<std::int64_t>() + rows.numel());
                g.unreadable = static_cast<std::size_t>(unreadable.toInt());
                g.fromCache = true;
                return g;
            }
        } catch (const std::exception&) {
            // A damaged cache is only a cache: rebuild it below.
        }
    }
    data::ImageCache cache;
    const auto e = eval::embedImages(model.net, g.index, wanted, cache, model.pipeline, batch, model.device, progress);
    std::vector<std::int64_t> okRows, okImages;
    for (size_t r = 0; r < e.images.size(); ++r)
        if (e.ok[r]) {
            okRows.push_back(static_cast<std::int64_t>(r));
            okImages.push_back(e.images[r]);
        }
    if (okRows.empty()) throw std::runtime_error(g.index.root + ": no gallery image could be read");
    g.embeddings = e.embeddings.index_select(0, torch::tensor(okRows, torch::kInt64)).contiguous();
    g.images.assign(okImages.begin(), okImages.end());
    g.unreadable = e.failures.size();

    fs::create_directories(fs::path(g.cacheFile).parent_path(), ec);
    const std::string tmp = g.cacheFile + ".tmp-" + std::to_string(::getpid());
    try {
        torch::serialize::OutputArchive a;
        a.write("embeddings", g.embeddings);
        a.write("images", torch::tensor(okImages, torch::kInt64));
        a.write("unreadable", c10::IValue(static_cast<std::int64_t>(g.unreadable)));
        a.save_to(tmp);
        fs::rename(tmp, g.cacheFile);
    } catch (const std::exception&) {
        fs::remove(tmp, ec);  // a read-only run folder costs recomputation next time, nothing else
    }
    return g;
}

}  // namespace carilab::match
