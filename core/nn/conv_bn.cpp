#include "nn/conv_bn.h"

namespace carilab::nn {

ConvBnImpl::ConvBnImpl(const ConvBnOptions& o) : relu_(o.relu)
{
    const std::vector<std::int64_t> pad = o.same ? std::vector<std::int64_t>{o.kh / 2, o.kw / 2} : std::vector<std::int64_t>{0, 0};
    conv_ = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(o.in, o.out, {o.kh, o.kw})
                                                          .stride(o.stride)
                                                          .padding(pad)
                                                          .bias(false)));
    bn_ = register_module("bn", torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(o.out).eps(kBnEps).momentum(kBnMomentum)));
    torch::nn::init::xavier_uniform_(conv_->weight);
}

torch::Tensor ConvBnImpl::forward(const torch::Tensor& x)
{
    auto y = bn_(conv_(x));
    return relu_ ? torch::relu(y) : y;
}

}  // namespace carilab::nn
