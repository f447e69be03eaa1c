#include "image_inspector.h"

#include "mat_image.h"
#include "pool_task.h"

#include "data/image_decode.h"
#include "data/image_pipeline.h"

#include <QComboBox>
#include <QFileInfo>
#include <QFuture>
#include <QHBoxLayout>
#include <QLabel>
#include <QPainter>
#include <QPromise>
#include <QThreadPool>
#include <QVBoxLayout>

#include <opencv2/imgproc.hpp>

#include <algorithm>

namespace carilab::widgets {

struct ImageInspector::Job {
    int generation = 0;
    std::string path;
    std::optional<data::Landmarks5> landmarks;
    std::optional<data::FaceBox> box;
    std::optional<data::FaceBox> faceApiBox;
    CropMode mode = CropMode::Align;
    int cropSize = 160;
    cv::Mat rgb;  // empty: decode the file first
};

struct ImageInspector::Result {
    int generation = 0;
    QString path;
    bool decoded = false;  // this job read the file (display/rgb/fileSize/error are new)
    QString error;
    cv::Mat rgb;
    QImage display;
    double displayScale = 1.0;
    QSize fileSize;
    QImage crop;
    QString note;
    CropMode mode = CropMode::Align;
};

namespace {

constexpr int kMaxDisplaySide = 1400;  // larger files are shown downscaled (the worker does it)

QString describeCrop(const ImageInspector::Job& job)
{
    const QString size = QStringLiteral("%1 × %1 px: ").arg(job.cropSize);
    switch (job.mode) {
    case ImageInspector::CropMode::Align:
        return size +
            (job.landmarks ? QStringLiteral("similarity-aligned to the 5-point template")
                           : QStringLiteral("no landmarks, so the whole image resized"));
    case ImageInspector::CropMode::Box:
        if (job.box) return size + QStringLiteral("the official box (landmarks' bounds, ×1.5 wide, ×1.2 high), stretched to a square");
        return size +
            (job.landmarks ? QStringLiteral("no face box, so aligned with the landmarks instead")
                           : QStringLiteral("no face box or landmarks, so the whole image resized"));
    case ImageInspector::CropMode::Whole: return size + QStringLiteral("the whole image resized, aspect not kept");
    case ImageInspector::CropMode::FaceApi:
        return QStringLiteral("150 × 150 px: ") +
            (job.faceApiBox ? QStringLiteral("face-api's aligned face box, padded to a square, as face-resnet sees it")
                            : QStringLiteral("no face box (run `dataset align`), so the whole image padded to a square"));
    }
    return {};
}

std::shared_ptr<ImageInspector::Result> compute(const ImageInspector::Job& job)
{
    auto r = std::make_shared<ImageInspector::Result>();
    r->generation = job.generation;
    r->path = QString::fromStdString(job.path);
    r->mode = job.mode;
    try {
        cv::Mat rgb = job.rgb;
        if (rgb.empty()) {
            r->decoded = true;
            rgb = data::decodeImageRgb8(job.path);
            r->rgb = rgb;
            r->fileSize = QSize(rgb.cols, rgb.rows);
            const int side = std::max(rgb.cols, rgb.rows);
            if (side > kMaxDisplaySide) {
                r->displayScale = static_cast<double>(kMaxDisplaySide) / side;
                cv::Mat small;
                cv::resize(rgb, small, cv::Size(), r->displayScale, r->displayScale, cv::INTER_AREA);
                r->display = matToQImage(small);
            } else {
                r->display = matToQImage(rgb);
            }
        }
        data::PipelineOptions o;
        o.size = job.mode == ImageInspector::CropMode::FaceApi ? 150 : job.cropSize;
        o.alignWithLandmarks = job.mode != ImageInspector::CropMode::Whole;
        o.cropToBox = job.mode == ImageInspector::CropMode::Box;
        o.faceApiCrop = job.mode == ImageInspector::CropMode::FaceApi;
        r->crop = matToQImage(data::cropFace(rgb, job.landmarks, o, nullptr, o.faceApiCrop ? job.faceApiBox : job.box));
        r->note = describeCrop(job);
    } catch (const std::exception& e) {
        QString what = QString::fromStdString(e.what());
        if (what.startsWith(r->path + QStringLiteral(": "))) what = what.mid(r->path.size() + 2);
        r->error = what;
    }
    return r;
}

}  // namespace

ImageInspector::ImageInspector(QWidget* parent) : QWidget(parent)
{
    title_ = new QLabel(QStringLiteral("Select a thumbnail to inspect it."));
    title_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    title_->setWordWrap(true);
    canvas_ = new ImageCanvas;
    modeBox_ = new QComboBox;
    modeBox_->addItems({QStringLiteral("Align with landmarks"), QStringLiteral("Official box"), QStringLiteral("Whole image"),
                        QStringLiteral("face-api crop (face-resnet)")});
    modeBox_->setToolTip(QStringLiteral("The face crop of a run's setting: face_crop align (default) or box; whole image when alignment is off"));
    cropLabel_ = new QLabel;
    cropLabel_->setFixedSize(180, 180);
    cropLabel_->setAlignment(Qt::AlignCenter);
    cropLabel_->setStyleSheet(QStringLiteral("QLabel { background: #f2f2f2; border: 1px solid #cccccc; }"));
    note_ = new QLabel;
    note_->setWordWrap(true);
    legend_ = new QLabel;

    auto* side = new QVBoxLayout;
    side->addWidget(new QLabel(QStringLiteral("<b>Crop the network sees</b>")));
    side->addWidget(modeBox_);
    side->addWidget(note_);
    side->addStretch(1);
    side->addWidget(legend_);
    auto* bottom = new QHBoxLayout;
    bottom->addWidget(cropLabel_, 0, Qt::AlignTop);
    bottom->addLayout(side, 1);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(title_);
    layout->addWidget(canvas_, 1);
    layout->addLayout(bottom);

    watcher_ = new QFutureWatcher<std::shared_ptr<Result>>(this);
    connect(watcher_, &QFutureWatcherBase::finished, this, &ImageInspector::finished);
    connect(modeBox_, qOverload<int>(&QComboBox::currentIndexChanged), this, [this](int i) { setCropMode(static_cast<CropMode>(i)); });
}

void ImageInspector::setImage(std::shared_ptr<const data::DatasetIndex> index, int imageIndex)
{
    ++generation_;
    pending_.reset();
    index_ = std::move(index);
    imageIndex_ = index_ && imageIndex >= 0 && imageIndex < static_cast<int>(index_->images.size()) ? imageIndex : -1;
    rgb_ = cv::Mat();
    display_ = crop_ = QImage();
    error_.clear();
    cropNote_.clear();
    landmarks_.clear();
    box_.reset();
    fileSize_ = QSize();
    cropLabel_->clear();
    note_->clear();
    legend_->clear();
    if (imageIndex_ < 0) {
        path_.clear();
        title_->setText(QStringLiteral("Select a thumbnail to inspect it."));
        canvas_->set({}, 1.0, {}, {}, QString());
        return;
    }
    const auto& r = index_->images[static_cast<size_t>(imageIndex_)];
    path_ = QString::fromStdString(index_->absolutePath(r));
    if (r.landmarks)
        for (const auto& p : *r.landmarks) landmarks_.push_back(QPointF(p.x, p.y));
    if (r.box) box_ = QRectF(r.box->x, r.box->y, r.box->width, r.box->height);
    // The legend names what this image has.
    QString legend;
    if (!landmarks_.isEmpty())
        legend = QStringLiteral("<span style='color:%1'>●</span> eyes &nbsp; <span style='color:%2'>●</span> nose &nbsp; "
                                "<span style='color:%3'>●</span> mouth")
                     .arg(ImageCanvas::landmarkColor(0).name(), ImageCanvas::landmarkColor(2).name(), ImageCanvas::landmarkColor(3).name());
    else
        legend = QStringLiteral("no landmarks");
    if (box_) legend += QStringLiteral(" &nbsp; <span style='color:%1'>▭</span> face box").arg(ImageCanvas::boxColor().darker(130).name());
    legend_->setText(legend);
    title_->setText(QStringLiteral("<b>%1</b> · %2 · %3")
                        .arg(QString::fromStdString(index_->identities[static_cast<size_t>(r.identity)]).toHtmlEscaped(),
                             QString::fromLatin1(data::modalityName(r.modality)), QString::fromStdString(r.path).toHtmlEscaped()));
    canvas_->set({}, 1.0, {}, {}, QStringLiteral("loading…"));
    schedule(true);
}

void ImageInspector::setCropMode(CropMode mode)
{
    if (modeBox_->currentIndex() != static_cast<int>(mode)) {
        modeBox_->setCurrentIndex(static_cast<int>(mode));  // re-enters through the combo's signal
        return;
    }
    if (mode == mode_) return;
    mode_ = mode;
    if (imageIndex_ >= 0 && error_.isEmpty()) schedule(rgb_.empty());
}

void ImageInspector::setCropSize(int px)
{
    cropSize_ = std::clamp(px, 16, 512);
    if (imageIndex_ >= 0 && error_.isEmpty()) schedule(rgb_.empty());
}

QString ImageInspector::cropNote() const { return cropNote_; }

void ImageInspector::schedule(bool decode)
{
    const auto& r = index_->images[static_cast<size_t>(imageIndex_)];
    auto job = std::make_shared<Job>();
    job->generation = generation_;
    job->path = path_.toStdString();
    job->landmarks = r.landmarks;
    job->box = r.box;
    job->faceApiBox = r.faceApiBox;
    job->mode = mode_;
    job->cropSize = cropSize_;
    if (!decode) job->rgb = rgb_;
    pending_ = job;
    if (!busy_) startNext();
}

void ImageInspector::startNext()
{
    if (!pending_) return;
    std::shared_ptr<Job> job = std::move(pending_);
    pending_.reset();
    busy_ = true;
    watcher_->setFuture(runInPool([job] { return compute(*job); }));
}

void ImageInspector::finished()
{
    busy_ = false;
    const std::shared_ptr<Result> r = watcher_->future().resultCount() > 0 ? watcher_->result() : nullptr;
    if (r && r->generation == generation_) {
        // A queued job for this image need not read the file again.
        if (pending_ && pending_->generation == r->generation && pending_->rgb.empty() && !r->rgb.empty()) pending_->rgb = r->rgb;
        if (r->decoded) {
            error_ = r->error;
            rgb_ = r->rgb;
            display_ = r->display;
            displayScale_ = r->displayScale;
            fileSize_ = r->fileSize;
            if (error_.isEmpty()) {
                canvas_->set(display_, displayScale_, landmarks_, box_, QString());
                title_->setText(title_->text() + QStringLiteral(" · %1 × %2 px").arg(fileSize_.width()).arg(fileSize_.height()));
            } else {
                canvas_->set({}, 1.0, {}, {}, QStringLiteral("Cannot show this image: ") + error_);
            }
        }
        if (r->error.isEmpty()) {
            crop_ = r->crop;
            cropNote_ = r->note;
            cropLabel_->setPixmap(QPixmap::fromImage(crop_.scaled(cropLabel_->size() - QSize(4, 4), Qt::KeepAspectRatio, Qt::SmoothTransformation)));
            note_->setText(cropNote_);
        } else {
            crop_ = QImage();
            cropLabel_->clear();
            note_->setText(r->error);
        }
        if (r->decoded) Q_EMIT imageShown(r->path);
        if (r->error.isEmpty()) Q_EMIT cropShown(r->path, static_cast<int>(r->mode));
    }
    startNext();
}

// --- ImageCanvas -------------------------------------------------------------------------------

ImageCanvas::ImageCanvas(QWidget* parent) : QWidget(parent)
{
    setMinimumSize(200, 200);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

void ImageCanvas::set(const QImage& image, double scale, const QVector<QPointF>& landmarks, const std::optional<QRectF>& box, const QString& message)
{
    image_ = image;
    scale_ = scale;
    landmarks_ = landmarks;
    box_ = box;
    message_ = message;
    update();
}

QColor ImageCanvas::landmarkColor(int i)
{
    switch (i) {
    case 0:
    case 1: return QColor(0, 200, 255);
    case 2: return QColor(80, 230, 60);
    default: return QColor(255, 60, 160);
    }
}

QColor ImageCanvas::boxColor() { return QColor(255, 210, 0); }

QRectF ImageCanvas::target() const
{
    if (image_.isNull()) return {};
    const QSizeF s = QSizeF(image_.size()).scaled(QSizeF(size()) - QSizeF(8, 8), Qt::KeepAspectRatio);
    return QRectF(QPointF((width() - s.width()) / 2.0, (height() - s.height()) / 2.0), s);
}

QPointF ImageCanvas::toWidget(const QPointF& filePoint) const
{
    const QRectF t = target();
    if (t.isEmpty()) return {};
    const double k = t.width() / image_.width() * scale_;  // widget pixels per file pixel
    return t.topLeft() + filePoint * k;
}

void ImageCanvas::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.fillRect(rect(), QColor(48, 48, 48));
    if (image_.isNull()) {
        p.setPen(QColor(220, 220, 220));
        p.drawText(rect().adjusted(12, 12, -12, -12), Qt::AlignCenter | Qt::TextWordWrap, message_);
        return;
    }
    p.setRenderHint(QPainter::SmoothPixmapTransform);
    p.drawImage(target(), image_);
    p.setRenderHint(QPainter::Antialiasing);
    if (box_) {
        QPen pen(boxColor(), 2, Qt::DashLine);
        p.setPen(pen);
        p.setBrush(Qt::NoBrush);
        p.drawRect(QRectF(toWidget(box_->topLeft()), toWidget(box_->bottomRight())));
    }
    for (int i = 0; i < landmarks_.size(); ++i) {
        const QPointF c = toWidget(landmarks_[i]);
        p.setPen(QPen(Qt::black, 1));
        p.setBrush(landmarkColor(i));
        p.drawEllipse(c, 4.5, 4.5);
    }
}

}  // namespace carilab::widgets
