#include "export_dialog.h"

#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMainWindow>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QStatusBar>
#include <QVBoxLayout>

namespace carilab::widgets {

namespace {

const QStringList kFigureFormats{QStringLiteral("png"), QStringLiteral("pdf"), QStringLiteral("svg")};

// Both exportImage and exportPlot: PNG is w x h pixels tagged with the DPI; PDF pages and SVG
// sizes are w x h points (QCustomPlot::savePdf, QSvgGenerator at its 72 dpi default).
const char* kSizeNote = "PNG: exactly width × height pixels; the DPI is stored in the file.\n"
                        "PDF, SVG: vector; the page is width × height points (1/72 inch), the DPI is not used.";

QString startPath(const QString& suggestedFile)
{
    const QString remembered = QSettings().value(QStringLiteral("export/folder")).toString();
    const QFileInfo suggested(suggestedFile);
    if (!remembered.isEmpty() && QDir(remembered).exists()) return QDir(remembered).filePath(suggested.fileName());
    if (suggested.isAbsolute()) return suggestedFile;
    return QDir::home().filePath(suggestedFile);
}

QString suffixList(const QStringList& suffixes)  // ".png, .pdf or .svg"
{
    QStringList dotted;
    for (const QString& s : suffixes) dotted << QLatin1Char('.') + s;
    const QString last = dotted.takeLast();
    return dotted.isEmpty() ? last : dotted.join(QStringLiteral(", ")) + QStringLiteral(" or ") + last;
}

QSpinBox* spinBox(int lo, int hi, int value, const QString& suffix)
{
    auto* s = new QSpinBox;
    s->setRange(lo, hi);
    s->setValue(value);
    s->setSuffix(suffix);
    s->setAccelerated(true);
    return s;
}

}  // namespace

FigureExportDialog::FigureExportDialog(Kind kind, const QString& title, const QString& suggestedFile, QSize defaultSize, int defaultDpi,
                                       QWidget* parent)
    : QDialog(parent), kind_(kind)
{
    setWindowTitle(title);
    path_ = new QLineEdit(QDir::toNativeSeparators(startPath(suggestedFile)));
    path_->setMinimumWidth(360);
    auto* browse = new QPushButton(QStringLiteral("Browse…"));
    connect(browse, &QPushButton::clicked, this, &FigureExportDialog::browse);
    auto* fileRow = new QHBoxLayout;
    fileRow->addWidget(path_, 1);
    fileRow->addWidget(browse);

    auto* form = new QFormLayout;
    form->addRow(QStringLiteral("File:"), fileRow);
    if (kind_ == Kind::Figure) {
        QSettings s;
        s.beginGroup(QStringLiteral("export"));
        width_ = spinBox(100, 20000, s.value(QStringLiteral("width"), defaultSize.width()).toInt(), QStringLiteral(" px"));
        height_ = spinBox(100, 20000, s.value(QStringLiteral("height"), defaultSize.height()).toInt(), QStringLiteral(" px"));
        dpi_ = spinBox(36, 1200, s.value(QStringLiteral("dpi"), defaultDpi).toInt(), QStringLiteral(" dpi"));
        auto* sizeRow = new QHBoxLayout;
        sizeRow->addWidget(width_);
        sizeRow->addWidget(new QLabel(QStringLiteral("×")));
        sizeRow->addWidget(height_);
        sizeRow->addStretch();
        form->addRow(QStringLiteral("Size:"), sizeRow);
        auto* dpiRow = new QHBoxLayout;
        dpiRow->addWidget(dpi_);
        dpiRow->addStretch();
        form->addRow(QStringLiteral("Resolution:"), dpiRow);
        auto* note = new QLabel(QString::fromUtf8(kSizeNote));
        note->setWordWrap(true);
        note->setEnabled(false);  // greyed: an explanation, not a control
        form->addRow(note);
        for (QSpinBox* w : {width_, height_, dpi_}) w->setToolTip(QString::fromUtf8(kSizeNote));
    }
    error_ = new QLabel;
    error_->setWordWrap(true);
    error_->setStyleSheet(QStringLiteral("color: #b00020;"));
    error_->hide();
    form->addRow(error_);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    buttons->button(QDialogButtonBox::Ok)->setText(QStringLiteral("Export"));
    connect(buttons, &QDialogButtonBox::accepted, this, &FigureExportDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &FigureExportDialog::reject);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(buttons);

    connect(path_, &QLineEdit::textChanged, this, &FigureExportDialog::updateFormat);
    updateFormat();
}

QString FigureExportDialog::path() const { return QDir::fromNativeSeparators(path_->text().trimmed()); }

QString FigureExportDialog::format() const { return QFileInfo(path()).suffix().toLower(); }

QSize FigureExportDialog::pixelSize() const { return kind_ == Kind::Figure ? QSize(width_->value(), height_->value()) : QSize(); }

int FigureExportDialog::dpi() const { return dpi_ ? dpi_->value() : 0; }

void FigureExportDialog::updateFormat()
{
    error_->hide();
    if (dpi_) dpi_->setEnabled(format() == QLatin1String("png"));
}

void FigureExportDialog::browse()
{
    const bool csv = kind_ == Kind::Csv;
    const QString filters = csv ? QStringLiteral("CSV (*.csv)") : QStringLiteral("PNG (*.png);;PDF (*.pdf);;SVG (*.svg)");
    const QString suffix = kFigureFormats.contains(format()) ? format() : QStringLiteral("png");
    QString selected = csv ? QString() : QStringLiteral("%1 (*.%2)").arg(suffix.toUpper(), suffix);
    QString file = QFileDialog::getSaveFileName(this, windowTitle(), path(), filters, &selected);
    if (file.isEmpty()) return;
    // Some platform dialogs return the name as typed; take the suffix from the chosen filter.
    if (QFileInfo(file).suffix().isEmpty()) file += QLatin1Char('.') + (csv ? QStringLiteral("csv") : selected.left(3).toLower());
    confirmedPath_ = file;
    path_->setText(QDir::toNativeSeparators(file));
}

void FigureExportDialog::accept()
{
    const QStringList allowed = kind_ == Kind::Csv ? QStringList{QStringLiteral("csv")} : kFigureFormats;
    QString problem;
    if (path().isEmpty() || QFileInfo(path()).fileName().isEmpty())
        problem = QStringLiteral("Choose a file to export to.");
    else if (format().isEmpty())
        problem = QStringLiteral("The file name has no suffix: end it with %1.").arg(suffixList(allowed));
    else if (!allowed.contains(format()))
        problem = QStringLiteral("“.%1” is not a format this export writes: end the file name with %2.").arg(format(), suffixList(allowed));
    else if (!QFileInfo(QFileInfo(path()).absolutePath()).isDir())
        problem = QStringLiteral("The folder %1 does not exist.").arg(QDir::toNativeSeparators(QFileInfo(path()).absolutePath()));
    if (!problem.isEmpty()) {
        error_->setText(problem);
        error_->show();
        return;
    }
    if (QFileInfo::exists(path()) && path() != confirmedPath_ &&
        QMessageBox::question(this, windowTitle(), QStringLiteral("%1 exists. Replace it?").arg(QDir::toNativeSeparators(path()))) !=
            QMessageBox::Yes)
        return;
    remember();
    QDialog::accept();
}

void FigureExportDialog::remember() const
{
    QSettings s;
    s.beginGroup(QStringLiteral("export"));
    s.setValue(QStringLiteral("folder"), QFileInfo(path()).absolutePath());
    if (kind_ != Kind::Figure) return;
    s.setValue(QStringLiteral("width"), width_->value());
    s.setValue(QStringLiteral("height"), height_->value());
    s.setValue(QStringLiteral("dpi"), dpi_->value());
}

void announceExport(QWidget* from, const FigureExportDialog& done)
{
    auto* main = from ? qobject_cast<QMainWindow*>(from->window()) : nullptr;
    if (!main) return;
    const QString file = QDir::toNativeSeparators(done.path());
    QString text = QStringLiteral("Exported ") + file;
    const QSize size = done.pixelSize();
    if (done.format() == QLatin1String("png"))
        text += QStringLiteral(" (%1×%2, %3 dpi)").arg(size.width()).arg(size.height()).arg(done.dpi());
    else if (size.isValid())
        text += QStringLiteral(" (%1×%2 pt, vector)").arg(size.width()).arg(size.height());
    main->statusBar()->showMessage(text, 10000);
}

}  // namespace carilab::widgets
