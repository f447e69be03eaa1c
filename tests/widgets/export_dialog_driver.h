#pragma once
// Drives FigureExportDialog's real modal flow from a test: trigger the menu action that opens
// it, fill it while exec() runs, and record what it showed. Shared by the gui-tier tests.
#include "export_dialog.h"

#include <QAction>
#include <QApplication>
#include <QDialogButtonBox>
#include <QDir>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QTimer>

#include <functional>

namespace carilab::test {

// What the dialog showed when it opened, and what was left visible after the filling.
struct Seen {
    bool opened = false;
    QString startPath;
    QSize startSize;
    int startDpi = 0;
    bool hasSizeRow = false;
    bool stillOpen = false;
    QString error;
};

// Triggers the menu action; fill then runs on the modal dialog that exec() shows.
inline Seen runExport(QWidget& view, const QString& actionText, const std::function<void(widgets::FigureExportDialog*)>& fill)
{
    Seen seen;
    QAction* action = nullptr;
    for (QAction* a : view.findChildren<QAction*>())
        if (a->text() == actionText) action = a;
    if (!action) return seen;
    // A local timer, not QTimer::singleShot: should no dialog open, nothing fires after return.
    QTimer timer;
    timer.setSingleShot(true);
    QObject::connect(&timer, &QTimer::timeout, [&] {
        auto* d = qobject_cast<widgets::FigureExportDialog*>(QApplication::activeModalWidget());
        if (!d) {
            if (QWidget* other = QApplication::activeModalWidget()) other->close();  // never hang on a stray dialog
            return;
        }
        seen.opened = true;
        seen.startPath = d->path();
        seen.hasSizeRow = d->widthBox() != nullptr;
        if (seen.hasSizeRow) seen.startSize = QSize(d->widthBox()->value(), d->heightBox()->value());
        seen.startDpi = d->dpi();
        fill(d);
        seen.stillOpen = d->isVisible();
        seen.error = d->errorLabel()->isVisible() ? d->errorLabel()->text() : QString();
        if (seen.stillOpen) d->reject();
    });
    timer.start(0);
    action->trigger();
    return seen;
}

inline void saveScreenshot(QWidget* w, const QString& name)
{
    if (qEnvironmentVariableIsSet("CARILAB_SCREENSHOT_DIR")) w->grab().save(QDir(qEnvironmentVariable("CARILAB_SCREENSHOT_DIR")).filePath(name));
}

inline void clickExport(widgets::FigureExportDialog* d) { d->findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Ok)->click(); }

inline void choose(widgets::FigureExportDialog* d, const QString& path, int w, int h, int dpi)
{
    d->pathEdit()->setText(QDir::toNativeSeparators(path));
    d->widthBox()->setValue(w);
    d->heightBox()->setValue(h);
    d->dpiBox()->setValue(dpi);
}

}  // namespace carilab::test
