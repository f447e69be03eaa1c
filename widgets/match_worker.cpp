#include "match_worker.h"

#include "mat_image.h"

#include "data/dataset_registry.h"
#include "data/image_decode.h"
#include "data/image_pipeline.h"
#include "data/protocol_types.h"
#include "match/matcher.h"
#include "match/zero_shot_threshold.h"
#include "run/checkpoint.h"
#include "run/eval_records.h"
#include "run/model_selection.h"
#include "run/run_directory.h"

#include <opencv2/imgproc.hpp>

#include <QElapsedTimer>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>

namespace carilab::widgets {

namespace fs = std::filesystem;

namespace {

// Thrown from the embedding's progress callback when the run or the gallery changed meanwhile.
struct Interrupted {};

QString q(const std::string& s) { return QString::fromStdString(s); }
std::string s(const QString& q) { return q.toStdString(); }

// MatchOutcome::cropSource: what the crop is and where it came from, so the view says exactly
// what was done (a dataset image is not detected in the automatic mode).
QString describeCropSource(const match::MatchResult& r, const data::ImageRecord* own, MatchCropMode mode, bool faceApiCrop, bool detectorRan)
{
    switch (r.crop) {
    case match::QueryCrop::UserBox: return QStringLiteral("drawn by hand");
    case match::QueryCrop::DatasetLandmarks:
        return QStringLiteral("the dataset's 5 landmarks for this image, aligned as its gallery copy is; no detection run");
    case match::QueryCrop::DatasetBox:
        return QStringLiteral("the dataset's face box for this image, as its gallery copy is cropped; no detection run");
    case match::QueryCrop::DatasetFaceBox:
        return QStringLiteral("face-api's box for this image from the dataset's alignment file (face_boxes.csv), the crop its gallery copy got; "
                              "no detection run");
    case match::QueryCrop::Detected:
        return own ? QStringLiteral("detected, not the dataset's own crop of this image, so it may score below 1 against its gallery copy")
                   : QString();  // the detector's details say it all
    case match::QueryCrop::WholeImage: break;
    }
    // The whole image: say why.
    if (mode == MatchCropMode::WholeImage) return QStringLiteral("as chosen");
    if (detectorRan) return QStringLiteral("no face found; drag on the image to draw the crop");
    if (!own) return QStringLiteral("no face detector could be loaded");
    const bool geometry = faceApiCrop ? own->faceApiBox.has_value() : (own->landmarks || own->box);
    if (geometry) return QStringLiteral("as this model crops the gallery's images; no detection run");
    return QStringLiteral("as its gallery copy is: the dataset has no face geometry for this image (carilab-cli dataset align adds it); no "
                          "detection run (Crop: \"Detect the face\" runs it)");
}

match::QueryOptions queryOptions(const MatchRequest& request, const data::DatasetIndex& index, const data::ImageRecord* own,
                                 std::optional<double> threshold)
{
    match::QueryOptions o;
    o.top = request.top;
    o.detect = request.cropMode != MatchCropMode::WholeImage;
    if (request.box)
        o.box = data::FaceBox{static_cast<float>(request.box->x()), static_cast<float>(request.box->y()), static_cast<float>(request.box->width()),
                              static_cast<float>(request.box->height())};
    if (own) {
        o.identity = index.identities[static_cast<size_t>(own->identity)];
        if (request.cropMode == MatchCropMode::Automatic) {
            o.landmarks = own->landmarks;
            o.datasetBox = own->box;
            o.datasetFaceApiBox = own->faceApiBox;
        }
    } else if (!request.identityHint.isEmpty()) {
        o.identity = s(request.identityHint);
    }
    o.threshold = threshold;
    return o;
}

MatchOutcome outcome(const MatchRequest& request, const QString& queryPath, const match::MatchResult& r, const match::QueryOptions& o,
                     const data::ImageRecord* own)
{
    MatchOutcome out;
    out.id = request.id;
    out.queryPath = queryPath;
    out.cropMode = request.cropMode;
    for (const auto& h : r.hits) out.hits.push_back({h.image, q(h.identity), q(h.path), h.score, h.rank});
    out.crop = QString::fromLatin1(match::queryCropName(r.crop));
    if (r.box) out.box = QRectF(r.box->x, r.box->y, r.box->width, r.box->height);
    for (const auto& p : r.landmarks) out.landmarks.push_back(QPointF(p.x, p.y));
    for (const auto& p : r.cropQuad) out.cropQuad << QPointF(p.x, p.y);
    if (r.detector) out.detector = QString::fromLatin1(match::faceDetectorKindName(*r.detector));
    out.cropDetail = q(r.cropDetail);
    out.detectionScore = r.detectionScore;
    if (o.identity) out.queryIdentity = q(*o.identity);
    out.identityFromDataset = own != nullptr;
    out.trueIdentityRank = r.trueIdentityRank.value_or(0);
    out.detectMs = r.detectMs;
    out.embedMs = r.embedMs;
    out.rankMs = r.rankMs;
    out.networkInput = matToQImage(r.networkInput);
    return out;
}

const int kRegistered = [] {
    qRegisterMetaType<MatchRunInfo>();
    qRegisterMetaType<MatchGalleryInfo>();
    qRegisterMetaType<MatchQueryInfo>();
    qRegisterMetaType<MatchRequest>();
    qRegisterMetaType<MatchOutcome>();
    return 0;
}();

}  // namespace

struct MatchWorker::State {
    std::optional<run::RunModel> model;
    std::string runDir;
    std::optional<double> threshold;

    // The gallery selection; dataset "" = the run's own.
    std::string dataset, format = "auto", modality = "auto";

    struct Indexed {
        std::unique_ptr<data::DatasetIndex> index;
        std::unique_ptr<data::ImageLookup> lookup;
    };
    std::map<std::string, Indexed> indexes;  // "format|root"
    std::map<std::string, match::Gallery> galleries;  // "format|root|modality", this run only
    std::map<std::string, MatchGalleryInfo> galleryInfo;

    std::optional<match::FaceFinder> finder;
    std::string finderError;

    cv::Mat query;
    std::string queryPath;
    std::string queryModality, queryModalitySource;  // the last request's (MatchRequest)

    std::string galleryRoot() const { return dataset.empty() && model ? model->config.dataset : dataset; }
    std::string galleryFormat() const { return dataset.empty() && model ? model->config.format : format; }

    Indexed& indexed()
    {
        const std::string key = galleryFormat() + "|" + galleryRoot();
        auto it = indexes.find(key);
        if (it != indexes.end()) return it->second;
        if (galleryRoot().empty()) throw std::runtime_error("the zero-shot model has no dataset of its own: choose a gallery dataset");
        Indexed x;
        x.index = std::make_unique<data::DatasetIndex>(data::loadDataset(galleryRoot(), galleryFormat()));
        x.lookup = std::make_unique<data::ImageLookup>(*x.index);
        return indexes.emplace(key, std::move(x)).first->second;
    }

    // The query's own record when it lies inside the gallery's dataset (as carilab-cli match).
    const data::ImageRecord* own(Indexed& x) const
    {
        if (queryPath.empty()) return nullptr;
        std::error_code ec;
        const fs::path abs = fs::weakly_canonical(fs::absolute(queryPath), ec);
        const fs::path rel = abs.lexically_relative(x.index->root);
        if (rel.empty() || *rel.begin() == "..") return nullptr;
        const int i = x.lookup->find(rel.generic_string());
        return i < 0 ? nullptr : &x.index->images[static_cast<size_t>(i)];
    }

    // The query's modality: the user's statement, else its record's in the gallery's dataset,
    // else the view's hint (drag, folder name); "" when unknown.
    std::string queryModalityOf(Indexed& x) const
    {
        if (queryModalitySource == "stated") return queryModality;
        if (const auto* rec = own(x)) return data::modalityName(rec->modality);
        return queryModality;
    }

    // "auto": the other modality than the query's; both when the query's is unknown (ranking an
    // unknown query against one modality could put its own modality's images out of sight, or
    // match a photo against photos while the box says "other modality").
    std::string resolvedModality(Indexed& x) const
    {
        if (modality != "auto") return modality;
        const std::string m = queryModalityOf(x);
        if (m.empty()) return "both";
        return m == "photo" ? "caricature" : "photo";
    }
};

MatchWorker::MatchWorker() : s_(std::make_unique<State>()) { (void)kRegistered; }

MatchWorker::~MatchWorker() = default;

void MatchWorker::loadRun(const QString& runDir, const QString& checkpoint)
{
    MatchRunInfo info;
    info.runDir = runDir;
    s_->model.reset();
    s_->galleries.clear();
    s_->galleryInfo.clear();
    s_->runDir = s(runDir);
    try {
        const QString zeroShotPrefix = QStringLiteral("pretrained:");
        if (runDir.startsWith(zeroShotPrefix)) {
            run::RunModel m = run::loadPretrainedModel(s(runDir.mid(zeroShotPrefix.size())));
            s_->runDir = match::zeroShotCacheRoot(m.pretrained);  // where its galleries are cached
            s_->threshold.reset();
            if (const auto t = match::zeroShotThreshold(m.pretrained)) {
                s_->threshold = t->value;
                info.threshold = t->value;
                info.thresholdSource = q(t->source);
            }
            info.zeroShot = true;
            info.checkpoint = q(m.checkpoint);
            info.backbone = q(m.pretrained);
            s_->model.emplace(std::move(m));
            info.ok = true;
            Q_EMIT runLoaded(info);
            return;
        }
        run::RunModel m = run::loadRunModel(s(runDir), checkpoint.isEmpty() ? "latest" : s(checkpoint));
        info.checkpoint = q(m.checkpoint);
        info.step = m.step;
        info.backbone = q(m.config.backbone);
        info.dataset = q(m.config.dataset);
        info.format = q(m.config.format);
        s_->threshold = match::runThreshold(s(runDir));
        info.threshold = s_->threshold;
        if (info.threshold) info.thresholdSource = QStringLiteral("the run's evaluation");
        // The kept checkpoints, and the best by held-out verification accuracy.
        const auto dir = run::RunDirectory::open(s(runDir));
        std::map<long long, double> accuracy;
        for (const auto& e : run::readMetricsFile(dir.metricsPath()).heldOut)
            if (e.figures.verification) accuracy[e.step] = e.figures.verification->acc;
        for (const auto& [step, path] : run::listCheckpoints(dir.checkpointsDir())) {
            info.checkpoints.push_back({step, q(path)});
            const auto it = accuracy.find(step);
            if (it != accuracy.end() && (info.bestCheckpoint.isEmpty() || it->second > info.bestAccuracy)) {
                info.bestCheckpoint = q(path);
                info.bestAccuracy = it->second;
            }
        }
        // The run's own selection (run/model_selection.h) wins: it is kept even when rotated out above.
        if (const auto best = run::listCheckpoints(run::bestCheckpointDir(dir)); !best.empty()) {
            const auto selected = run::readEvalFile(dir.evalPath()).best;
            info.bestCheckpoint = q(best.back().second);
            info.bestAccuracy = selected && std::isfinite(selected->score) ? selected->score : 0.0;
            info.checkpoints.push_back({best.back().first, info.bestCheckpoint});
            std::sort(info.checkpoints.begin(), info.checkpoints.end());
        }
        s_->model.emplace(std::move(m));
        info.ok = true;
    } catch (const std::exception& e) {
        info.error = q(e.what());
    }
    Q_EMIT runLoaded(info);
    if (!info.ok) Q_EMIT failed(QStringLiteral("Run refused: ") + info.error);
}

void MatchWorker::loadGallery(const QString& dataset, const QString& format, const QString& modality)
{
    s_->dataset = s(dataset);
    s_->format = format.isEmpty() ? "auto" : s(format);
    s_->modality = modality.isEmpty() ? "auto" : s(modality);
    if (!s_->model || (s_->modality == "auto" && s_->queryPath.empty())) return;
    try {
        ensureGallery(q(s_->resolvedModality(s_->indexed())));
    } catch (const Interrupted&) {
        Q_EMIT galleryCancelled();
    } catch (const std::exception& e) {
        Q_EMIT failed(QStringLiteral("Gallery: ") + q(e.what()));
    }
}

bool MatchWorker::ensureGallery(const QString& modality)
{
    const std::string key = s_->galleryFormat() + "|" + s_->galleryRoot() + "|" + s(modality);
    if (s_->galleries.count(key)) return false;
    auto& x = s_->indexed();
    match::GallerySpec spec;
    spec.dataset = x.index->root;
    spec.format = x.index->format;
    spec.preloaded = x.index.get();
    if (modality != QLatin1String("both")) spec.modality = data::parseModality(s(modality));
    const quint64 epoch = epoch_;
    auto onProgress = [&](std::size_t done, std::size_t total) {
        if (epoch_ != epoch || stopping_) throw Interrupted{};
        Q_EMIT progress(static_cast<int>(done), static_cast<int>(total));
    };
    QElapsedTimer t;
    t.start();
    // Hold the galleries of one dataset at a time (an inception-resnet-v1 gallery of CaVI's size
    // is about 90 MB).
    const std::string prefix = s_->galleryFormat() + "|" + s_->galleryRoot() + "|";
    for (auto it = s_->galleries.begin(); it != s_->galleries.end();) it = it->first.rfind(prefix, 0) == 0 ? std::next(it) : s_->galleries.erase(it);
    Q_EMIT progress(0, spec.modality ? x.index->count(*spec.modality) : static_cast<int>(x.index->images.size()));
    if (!s_->model->pretrained.empty()) run::useDatasetCrop(*s_->model, *x.index);
    match::Gallery g = match::loadGallery(*s_->model, s_->runDir, spec, onProgress);
    MatchGalleryInfo info;
    info.dataset = q(g.index.root);
    info.modality = modality;
    info.images = static_cast<int>(g.images.size());
    info.unreadable = static_cast<int>(g.unreadable);
    info.cacheFile = q(g.cacheFile);
    info.fromCache = g.fromCache;
    info.seconds = t.elapsed() / 1000.0;
    s_->galleries.emplace(key, std::move(g));
    s_->galleryInfo[key] = info;
    Q_EMIT galleryReady(info);
    return true;
}

void MatchWorker::setQuery(const QString& path)
{
    try {
        cv::Mat rgb = data::decodeImageRgb8(s(path));
        MatchQueryInfo info;
        info.path = path;
        info.fullSize = QSize(rgb.cols, rgb.rows);
        const double scale = std::min(1.0, static_cast<double>(kPreviewSide) / std::max(rgb.cols, rgb.rows));
        if (scale < 1.0) {
            cv::Mat small;
            cv::resize(rgb, small, cv::Size(), scale, scale, cv::INTER_AREA);
            info.preview = matToQImage(small);
        } else {
            info.preview = matToQImage(rgb);
        }
        s_->query = std::move(rgb);
        s_->queryPath = s(path);
        Q_EMIT queryLoaded(info);
    } catch (const std::exception& e) {
        Q_EMIT failed(q(e.what()));
    }
}

void MatchWorker::query(const MatchRequest& request)
{
    if (request.id < latest_ || stopping_) return;  // superseded before it ran
    if (!s_->model) {
        Q_EMIT failed(QStringLiteral("Choose a trained run first."));
        return;
    }
    if (s_->query.empty()) {
        Q_EMIT failed(QStringLiteral("Drop an image to match."));
        return;
    }
    s_->queryModality = s(request.queryModality);
    s_->queryModalitySource = s(request.queryModalitySource);
    try {
        auto& x = s_->indexed();
        const data::ImageRecord* own = s_->own(x);
        const QString modality = q(s_->resolvedModality(x));
        ensureGallery(modality);
        if (request.id < latest_) return;
        const std::string key = s_->galleryFormat() + "|" + s_->galleryRoot() + "|" + s(modality);
        const match::Gallery& gallery = s_->galleries.at(key);

        const match::QueryOptions o = queryOptions(request, *x.index, own, s_->threshold);
        // The dataset's geometry stands in for detection only in the automatic mode.
        const bool ownGeometry = own && request.cropMode == MatchCropMode::Automatic;
        match::FaceFinder* finder = o.detect && !o.box && !ownGeometry ? faceFinder() : nullptr;
        // The zero-shot model crops as the gallery's dataset does (ensureGallery set it for this one).
        if (!s_->model->pretrained.empty()) run::useDatasetCrop(*s_->model, *x.index);
        const match::MatchResult r = match::matchQuery(*s_->model, gallery, s_->query, o, finder);

        MatchOutcome out = outcome(request, q(s_->queryPath), r, o, own);
        out.detectorRan = finder != nullptr;
        out.cropSource = describeCropSource(r, own, request.cropMode, s_->model->pipeline.faceApiCrop, out.detectorRan);
        out.queryModality = q(s_->queryModalityOf(x));
        out.queryModalitySource = s_->queryModalitySource == "stated" ? QStringLiteral("stated")
            : own                                                     ? QStringLiteral("dataset")
                                                                      : request.queryModalitySource;
        if (out.queryModality.isEmpty()) out.queryModalitySource.clear();
        out.gallery = s_->galleryInfo.at(key);
        Q_EMIT resultReady(out);
    } catch (const Interrupted&) {
        Q_EMIT galleryCancelled();
    } catch (const std::exception& e) {
        Q_EMIT failed(q(e.what()));
    }
}

// The finder, made on first use; nullptr (and a message once) when neither detector loads.
match::FaceFinder* MatchWorker::faceFinder()
{
    if (!s_->finder && s_->finderError.empty()) {
        try {
            s_->finder.emplace();
            if (!s_->finder->fallbackReason().empty())
                Q_EMIT failed(QStringLiteral("face-api's detector is not available, detecting with the Haar cascade: ") +
                              q(s_->finder->fallbackReason()));
        } catch (const std::exception& e) {
            s_->finderError = e.what();
            Q_EMIT failed(QStringLiteral("Face detection is off: ") + q(e.what()));
        }
    }
    return s_->finder ? &*s_->finder : nullptr;
}

}  // namespace carilab::widgets
