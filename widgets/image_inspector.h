#pragma once
// One dataset image with its 5 landmarks (and face box when the dataset has one), beside the
// crop the network sees for the chosen alignment: similarity-aligned with the landmarks, the
// official box crop, or the whole image resized (core's cropFace). Decoding and cropping run on
// a worker thread; requests arriving while one runs are coalesced to the newest.
#include "data/dataset_index.h"

#include <QFutureWatcher>
#include <QImage>
#include <QPointF>
#include <QRectF>
#include <QWidget>

#include <opencv2/core.hpp>

#include <memory>
#include <optional>

class QComboBox;
class QLabel;

namespace carilab::widgets {

class ImageCanvas;

class ImageInspector : public QWidget {
    Q_OBJECT

public:
    enum class CropMode { Align = 0, Box = 1, Whole = 2, FaceApi = 3 };

    explicit ImageInspector(QWidget* parent = nullptr);

    // imageIndex into index->images; -1 clears.
    void setImage(std::shared_ptr<const data::DatasetIndex> index, int imageIndex);
    void clear() { setImage(nullptr, -1); }
    int imageIndex() const { return imageIndex_; }  // -1: none shown
    void setCropMode(CropMode mode);
    CropMode cropMode() const { return mode_; }
    void setCropSize(int px);  // the network's input side; default 160 (Inception-ResNet-v1)
    int cropSize() const { return cropSize_; }

    QString path() const { return path_; }
    QString error() const { return error_; }  // why the image could not be shown
    QImage image() const { return display_; }  // as drawn (downscaled when large)
    QSize imageSize() const { return fileSize_; }  // the file's pixels
    QImage crop() const { return crop_; }
    QString cropNote() const;
    // Geometry in file pixels, as drawn.
    QVector<QPointF> landmarks() const { return landmarks_; }
    std::optional<QRectF> box() const { return box_; }
    ImageCanvas* canvas() const { return canvas_; }
    QLabel* cropLabel() const { return cropLabel_; }
    bool isBusy() const { return busy_ || pending_ != nullptr; }

    struct Job;
    struct Result;

Q_SIGNALS:
    // After a requested image is decoded (or failed: error() says why) and drawn.
    void imageShown(const QString& path);
    // After each crop preview, for the image and mode shown.
    void cropShown(const QString& path, int mode);

private:
    void schedule(bool decode);
    void startNext();
    void finished();

    std::shared_ptr<const data::DatasetIndex> index_;
    int imageIndex_ = -1;
    CropMode mode_ = CropMode::Align;
    int cropSize_ = 160;
    int generation_ = 0;

    QString path_, error_, cropNote_;
    cv::Mat rgb_;  // the decoded file, reused for crop-only jobs (read-only)
    QImage display_, crop_;
    double displayScale_ = 1.0;
    QSize fileSize_;
    QVector<QPointF> landmarks_;
    std::optional<QRectF> box_;

    QFutureWatcher<std::shared_ptr<Result>>* watcher_;
    std::shared_ptr<Job> pending_;  // the newest request not started yet
    bool busy_ = false;

    QLabel* title_;
    ImageCanvas* canvas_;
    QComboBox* modeBox_;
    QLabel* cropLabel_;
    QLabel* note_;
    QLabel* legend_;
};

// Draws an image scaled to fit, its landmarks and box on top.
class ImageCanvas : public QWidget {
    Q_OBJECT

public:
    explicit ImageCanvas(QWidget* parent = nullptr);
    // image: as drawn; scale: image pixels per file pixel; geometry in file pixels.
    void set(const QImage& image, double scale, const QVector<QPointF>& landmarks, const std::optional<QRectF>& box, const QString& message);
    // Where a point in file pixels lands in this widget.
    QPointF toWidget(const QPointF& filePoint) const;
    static QColor landmarkColor(int i);  // 0,1 eyes; 2 nose; 3,4 mouth
    static QColor boxColor();

    QSize sizeHint() const override { return {420, 420}; }

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    QRectF target() const;

    QImage image_;
    double scale_ = 1.0;
    QVector<QPointF> landmarks_;
    std::optional<QRectF> box_;
    QString message_;
};

}  // namespace carilab::widgets
