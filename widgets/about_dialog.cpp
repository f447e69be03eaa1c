#include "about_dialog.h"

#include "user_guide.h"

#include "perf/machine_info.h"
#include "pretrained/pretrained_store.h"

#include <opencv2/core/version.hpp>
#include <torch/version.h>

#include <QApplication>
#include <QClipboard>
#include <QDialogButtonBox>
#include <QDir>
#include <QFrame>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

namespace carilab::widgets {

QIcon applicationIcon()
{
    // The resource is compiled into carilab_widgets (widgets/CMakeLists.txt).
    return QIcon(QStringLiteral(":/carilab/carilab.svg"));
}

QList<QPair<QString, QString>> AboutDialog::versionRows()
{
    QList<QPair<QString, QString>> rows;
    rows << qMakePair(QStringLiteral("CariLab"), QStringLiteral(CARILAB_VERSION));
    const QString qtRun = QString::fromLatin1(qVersion());
    rows << qMakePair(QStringLiteral("Qt"),
                      qtRun == QLatin1String(QT_VERSION_STR) ? qtRun
                                                             : QStringLiteral("%1 (built with %2)").arg(qtRun, QLatin1String(QT_VERSION_STR)));
    rows << qMakePair(QStringLiteral("LibTorch"), QStringLiteral(TORCH_VERSION));
    rows << qMakePair(QStringLiteral("OpenCV"), QStringLiteral(CV_VERSION));
    rows << qMakePair(QStringLiteral("BLAS"), QString::fromStdString(perf::describeMachine().blas));
    // Presence only: hashing the networks would hold the GUI thread ('carilab-cli pretrained' verifies).
    const auto status = pretrained::inspectPackage(pretrained::faceApiPackage(), pretrained::FileCheck::Presence);
    QString nets;
    if (status.verified)
        nets = QStringLiteral("fetched, %1").arg(QDir::toNativeSeparators(QString::fromStdString(status.dir)));
    else
        nets = (status.fetched ? QStringLiteral("unusable: ") + QString::fromStdString(status.problem) : QStringLiteral("not fetched")) +
            QStringLiteral(" (run 'carilab-cli pretrained fetch'; needs npm)");
    rows << qMakePair(QStringLiteral("Pretrained face networks"), nets);
    const QString guide = userGuideDir();
    rows << qMakePair(QStringLiteral("User guide"), guide.isEmpty() ? QStringLiteral("not installed") : QDir::toNativeSeparators(guide));
    return rows;
}

AboutDialog::AboutDialog(QWidget* parent) : QDialog(parent), rows_(versionRows())
{
    setWindowTitle(QStringLiteral("About CariLab"));
    auto* logo = new QLabel;
    logo->setPixmap(applicationIcon().pixmap(QSize(96, 96)));
    logo->setAlignment(Qt::AlignTop);
    auto* title = new QLabel(QStringLiteral("<h2>CariLab %1</h2>"
                                            "<p>Caricature-photo face recognition with dynamic multi-task learning: the "
                                            "three-branch network of Ming, Burie &amp; Luqman (GREC 2019), its training, "
                                            "evaluation and matching.</p>")
                                 .arg(QStringLiteral(CARILAB_VERSION)));
    title->setWordWrap(true);

    auto* grid = new QGridLayout;
    grid->setColumnStretch(1, 1);
    for (int i = 1; i < rows_.size(); ++i) {  // row 0, CariLab's own version, is the title
        auto* what = new QLabel(rows_[i].first + QLatin1Char(':'));
        what->setAlignment(Qt::AlignRight | Qt::AlignTop);
        auto* value = new QLabel(rows_[i].second);
        value->setWordWrap(true);
        value->setTextInteractionFlags(Qt::TextSelectableByMouse);
        grid->addWidget(what, i, 0);
        grid->addWidget(value, i, 1);
    }
    auto* text = new QVBoxLayout;
    text->addWidget(title);
    text->addLayout(grid);
    auto* top = new QHBoxLayout;
    top->addWidget(logo);
    top->addLayout(text, 1);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close);
    auto* copy = buttons->addButton(QStringLiteral("Copy versions"), QDialogButtonBox::ActionRole);
    copy->setToolTip(QStringLiteral("Put these lines on the clipboard (for a bug report)"));
    connect(copy, &QPushButton::clicked, this, [this] { QApplication::clipboard()->setText(versionText()); });
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(buttons);
    // Wide enough for the BLAS line's library path, narrow enough for a 1024x700 screen.
    setMinimumWidth(560);
    resize(680, layout->hasHeightForWidth() ? layout->totalHeightForWidth(680) : sizeHint().height());
}

QString AboutDialog::versionText() const
{
    QString text;
    for (const auto& [what, value] : rows_) text += what + QStringLiteral(": ") + value + QLatin1Char('\n');
    return text;
}

}  // namespace carilab::widgets
