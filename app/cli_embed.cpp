#include "cli_args.h"
#include "cli_commands.h"

#include "data/image_decode.h"
#include "pretrained/face_recognition_net.h"
#include "pretrained/pretrained_store.h"

#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <iostream>

namespace carilab::cli {

int runEmbed(const Argv& argv)
{
    Args a("embed",
           "The 128-d face descriptor of one image, from face-api's pretrained face_recognition_model\n"
           "(fetch it first: carilab-cli pretrained fetch).\n"
           "For now the WHOLE image is resized to 150x150 (bilinear) and described: no face detection,\n"
           "landmarks or alignment yet (a later step), so give it a face crop. The descriptor is the\n"
           "network's raw output, as face-api's computeFaceDescriptor returns it (not L2-normalised).");
    a.option("pretrained", "face-resnet", "the pretrained network (only face-resnet for now; --run DIR comes later)")
        .option("image", "FILE", "the image to describe")
        .option("threads", "N", "LibTorch threads (0 = LibTorch's default)", "0")
        .flag("json", "print only the descriptor as a JSON array");
    if (!a.parse(argv)) return 0;
    if (!a.has("pretrained")) throw UsageError("--pretrained face-resnet is required");
    if (a.get("pretrained") != "face-resnet") throw UsageError("unknown --pretrained '" + a.get("pretrained") + "' (expected: face-resnet)");
    if (!a.has("image")) throw UsageError("--image FILE is required");
    if (const int t = a.getInt("threads"); t > 0) torch::set_num_threads(t);

    const std::string manifest = pretrained::requireModelManifest("face_recognition_model");
    const cv::Mat rgb = data::decodeImageRgb8(a.get("image"));
    cv::Mat face;
    if (rgb.rows == pretrained::kFaceDescriptorInput && rgb.cols == pretrained::kFaceDescriptorInput)
        face = rgb;
    else
        cv::resize(rgb, face, cv::Size(pretrained::kFaceDescriptorInput, pretrained::kFaceDescriptorInput), 0, 0, cv::INTER_LINEAR);

    const auto t0 = std::chrono::steady_clock::now();
    auto net = pretrained::loadFaceRecognitionNet(manifest);
    const auto t1 = std::chrono::steady_clock::now();
    const auto d = net->computeDescriptor(face);
    const auto t2 = std::chrono::steady_clock::now();

    const nlohmann::json values = d;
    if (a.flagSet("json")) {
        std::cout << values.dump() << "\n";
        return 0;
    }
    double norm = 0;
    for (float v : d) norm += double(v) * v;
    using ms = std::chrono::duration<double, std::milli>;
    std::cout << "image " << a.get("image") << " (" << rgb.cols << "x" << rgb.rows << ", resized whole to 150x150)\n"
              << "face-resnet descriptor, " << d.size() << "-d, L2 norm " << std::sqrt(norm) << " (load " << ms(t1 - t0).count()
              << " ms, forward " << ms(t2 - t1).count() << " ms)\n"
              << values.dump() << "\n";
    return 0;
}

}  // namespace carilab::cli
