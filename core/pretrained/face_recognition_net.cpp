#include "pretrained/face_recognition_net.h"

#include "pretrained/tfjs_weights.h"

#include <stdexcept>

namespace carilab::pretrained {

FaceRecognitionNetImpl::FaceRecognitionNetImpl()
{
    stem_ = register_module("conv32_down", ScaledConv(faceStemOptions()));
    for (const auto& b : faceRecognitionBlocks()) blocks_.emplace_back(b.name, register_module(b.name, FaceResidual(b.in, b.out, b.down)));
    fc_ = register_parameter("fc", torch::zeros({kFaceFeatureDim, kFaceDescriptorDim}));
}

torch::Tensor FaceRecognitionNetImpl::features(const torch::Tensor& x)
{
    auto out = faceStemPool(stem_(x));
    for (auto& [name, block] : blocks_) out = block(out);
    return out.mean({2, 3});
}

torch::Tensor FaceRecognitionNetImpl::forward(const torch::Tensor& x) { return features(x).matmul(fc_); }

void FaceRecognitionNetImpl::load(const TfjsWeightMap& w)
{
    stem_->load(w, "conv32_down");
    for (auto& [name, block] : blocks_) block->load(w, name);
    torch::NoGradGuard noGrad;
    fc_.copy_(w.at("fc", {kFaceFeatureDim, kFaceDescriptorDim}));
}

torch::Tensor FaceRecognitionNetImpl::normalize(const torch::Tensor& rgb8)
{
    auto x = rgb8.dim() == 3 ? rgb8.unsqueeze(0) : rgb8;
    if (x.dim() != 4 || x.size(3) != 3)
        throw std::invalid_argument("FaceRecognitionNet: expected RGB images [N,H,W,3], got " + std::to_string(x.dim()) + " dims");
    const auto mean = torch::tensor({kFaceMeanRgb[0], kFaceMeanRgb[1], kFaceMeanRgb[2]});
    // float32 throughout, subtract then divide, as the package does.
    return ((x.to(torch::kFloat32) - mean) / kFacePixelScale).permute({0, 3, 1, 2}).contiguous();
}

torch::Tensor FaceRecognitionNetImpl::computeDescriptors(const torch::Tensor& rgb8)
{
    if (rgb8.size(-2) != kFaceDescriptorInput || rgb8.size(-3) != kFaceDescriptorInput)
        throw std::invalid_argument("FaceRecognitionNet: faces must be 150x150 (resize or align them first)");
    torch::NoGradGuard noGrad;  // no layer depends on train/eval mode (the batch norms are folded)
    const auto device = fc_.device();
    return forward(normalize(rgb8).to(device)).to(torch::kCPU);
}

std::vector<float> FaceRecognitionNetImpl::computeDescriptor(const cv::Mat& rgb150)
{
    if (rgb150.type() != CV_8UC3 || rgb150.rows != kFaceDescriptorInput || rgb150.cols != kFaceDescriptorInput)
        throw std::invalid_argument("FaceRecognitionNet: computeDescriptor needs a 150x150 8-bit RGB image");
    const cv::Mat c = rgb150.isContinuous() ? rgb150 : rgb150.clone();
    const auto t = torch::from_blob(c.data, {kFaceDescriptorInput, kFaceDescriptorInput, 3}, torch::kUInt8);
    const auto d = computeDescriptors(t).contiguous();
    return {d.data_ptr<float>(), d.data_ptr<float>() + d.numel()};
}

FaceRecognitionNet loadFaceRecognitionNet(const std::string& manifestPath)
{
    FaceRecognitionNet net;
    net->load(readTfjsWeights(manifestPath));
    net->eval();
    return net;
}

}  // namespace carilab::pretrained
