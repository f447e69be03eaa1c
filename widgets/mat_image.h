#pragma once
// An 8-bit RGB cv::Mat (what core decodes and crops) as a QImage that owns its pixels, so the
// Mat may go away once this returns.
#include <QImage>

#include <opencv2/core.hpp>

namespace carilab::widgets {

inline QImage matToQImage(const cv::Mat& rgb8)
{
    return QImage(rgb8.data, rgb8.cols, rgb8.rows, static_cast<qsizetype>(rgb8.step), QImage::Format_RGB888).copy();
}

}  // namespace carilab::widgets
