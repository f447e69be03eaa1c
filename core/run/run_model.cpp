#include "run/run_model.h"

#include "eval/input_normalisation.h"
#include "nn/center_loss.h"
#include "pretrained/backbone_weights.h"
#include "pretrained/pretrained_store.h"
#include "run/checkpoint.h"
#include "run/device.h"
#include "run/model_selection.h"
#include "run/run_directory.h"

#include <algorithm>

#include <stdexcept>

namespace carilab::run {

RunModel loadRunModel(const std::string& runDir, const std::string& checkpoint, const std::string& device)
{
    const RunDirectory rd = RunDirectory::open(runDir);
    RunModel m;
    m.config = trainConfigFromJson(rd.config(), rd.configPath());
    m.device = device.empty() ? torchDevice(m.config.device) : parseDevice(device);

    std::vector<std::string> candidates;
    if (checkpoint == "latest" || checkpoint.empty()) {
        const auto all = listCheckpoints(rd.checkpointsDir());
        for (auto it = all.rbegin(); it != all.rend(); ++it) candidates.push_back(it->second);
        if (candidates.empty()) throw std::runtime_error(runDir + ": the run has no checkpoint yet (train it first)");
    } else if (checkpoint == kBestCheckpoint) {
        const auto best = listCheckpoints(bestCheckpointDir(rd));
        if (best.empty()) throw std::runtime_error(runDir + ": the run has no best checkpoint (none is kept before its first held-out evaluation)");
        candidates.push_back(best.back().second);
    } else {
        candidates.push_back(checkpoint);
    }
    std::string errors;
    for (const auto& path : candidates) {
        try {
            const nlohmann::json meta = readCheckpointMeta(path);
            nn::MultiTaskOptions mo;
            mo.backbone = meta.value("backbone", m.config.backbone);
            mo.numClasses = meta.value("num_classes", static_cast<std::int64_t>(0));
            mo.dropout = m.config.dropout;
            mo.reluOnIdLogits = m.config.reluOnIdLogits;
            mo.idHead = m.config.idHead;
            if (mo.backbone != m.config.backbone)
                throw std::runtime_error("checkpoint is for backbone '" + mo.backbone + "' but the run is configured for '" + m.config.backbone +
                                         "'");
            nn::MultiTaskNet net(mo);
            nn::CenterLoss center(mo.numClasses, net->info().embeddingDim, m.config.centerLossAlpha);
            nlohmann::json expected = meta;
            expected["run_id"] = rd.runId();  // "" for runs from before ids: then not checked
            m.step = loadCheckpoint(path, TrainingState{net, center, nullptr, nullptr}, expected);
            net->to(m.device);
            net->eval();
            m.net = net;
            m.checkpoint = path;
            m.classes = meta.value("identities", std::vector<std::string>{});
            m.pipeline.size = meta.value("input_size", static_cast<int>(net->info().inputSize));
            eval::applyInputNormalisation(net->info(), m.pipeline);
            applyFaceCrop(m.config, net->info(), m.pipeline);
            m.pipeline.augment.enabled = false;
            return m;
        } catch (const std::exception& e) {
            // An explicit checkpoint must load; "latest" falls back to older ones (a kill during a
            // write leaves the newest damaged) and reports all failures only if none loads.
            if (candidates.size() == 1) throw std::runtime_error(runDir + ": " + e.what());
            errors += std::string("\n  ") + e.what();
        }
    }
    throw std::runtime_error(runDir + ": no checkpoint could be loaded:" + errors);
}

std::vector<std::string> pretrainedModelNames() { return {"face-resnet"}; }

RunModel loadPretrainedModel(const std::string& backbone, const std::string& device)
{
    const auto names = pretrainedModelNames();
    if (std::find(names.begin(), names.end(), backbone) == names.end())
        throw std::invalid_argument("'" + backbone + "' is not a pretrained model (known: face-resnet)");
    RunModel m;
    m.pretrained = backbone;
    m.config.backbone = backbone;
    m.config.dataset.clear();
    m.device = parseDevice(device.empty() ? "cpu" : device);
    m.checkpoint = pretrained::requireModelManifest("face_recognition_model");
    nn::MultiTaskOptions mo;
    mo.backbone = backbone;
    mo.numClasses = 0;  // no identities: embedding only
    mo.pretrainedWeights = pretrained::backboneWeights(backbone);
    nn::MultiTaskNet net(mo);
    net->to(m.device);
    net->eval();
    m.net = net;
    m.pipeline.size = static_cast<int>(net->info().inputSize);
    eval::applyInputNormalisation(net->info(), m.pipeline);
    m.pipeline.alignWithLandmarks = true;
    m.pipeline.faceApiCrop = net->info().faceApiCrop;  // face-api's own crop, as its pipeline
    m.pipeline.augment.enabled = false;
    return m;
}

void useDatasetCrop(RunModel& model, const data::DatasetIndex& index)
{
    if (model.pipeline.faceApiCrop) {
        // The descriptor's own crop: face-api's box where `dataset align` found one, else the whole image.
        model.config.faceCrop = FaceCrop::FaceApi;
        return;
    }
    bool landmarks = false, boxes = false;
    for (const auto& r : index.images) {
        landmarks |= r.landmarks.has_value();
        boxes |= r.box.has_value();
    }
    model.pipeline.alignWithLandmarks = true;
    model.pipeline.cropToBox = !landmarks && boxes;
    model.config.faceCrop = model.pipeline.cropToBox ? FaceCrop::Box : FaceCrop::Align;
}

}  // namespace carilab::run
