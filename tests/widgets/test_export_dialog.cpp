// The export dialog through the Runs view's real Export menu, modal flow included: the size and
// DPI chosen are the file's, the status bar confirms, the folder and size are remembered for the
// next export, an unknown suffix is refused without writing, and the CSV export has no size row.
// Settings: test mode puts them under ~/.qttest, never the user's; cleared at the start.
// CARILAB_SCREENSHOT_DIR set: the dialog's grab is saved there as export-dialog.png.
#include "export_dialog_driver.h"
#include "runs_view.h"

#include <QtTest/QtTest>

#include <QApplication>
#include <QImage>
#include <QMainWindow>
#include <QMessageBox>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>

using namespace carilab::widgets;
using namespace carilab::test;

class TestExportDialog final : public QObject {
    Q_OBJECT

private:
    QTemporaryDir tmp_;
    QString out_;
    QMainWindow* window_ = nullptr;
    RunsView* view_ = nullptr;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(tmp_.isValid());
        QStandardPaths::setTestModeEnabled(true);
        QSettings settings;
        QVERIFY2(settings.fileName().contains(QStringLiteral("/.qttest/")), qPrintable(settings.fileName()));
        settings.clear();
        out_ = tmp_.filePath(QStringLiteral("figures"));
        QVERIFY(QDir().mkpath(out_));
        QVERIFY(QDir().mkpath(tmp_.filePath(QStringLiteral("runs"))));
        window_ = new QMainWindow;
        view_ = new RunsView(tmp_.filePath(QStringLiteral("runs")));
        window_->setCentralWidget(view_);
        window_->show();
    }

    void cleanupTestCase() { delete window_; }

    void figureHasTheChosenSizeAndDpi()
    {
        const QString file = out_ + QStringLiteral("/chosen.png");
        const Seen seen = runExport(*view_, QStringLiteral("Figure…"), [&](FigureExportDialog* d) {
            choose(d, file, 640, 480, 300);
            saveScreenshot(d, QStringLiteral("export-dialog.png"));
            clickExport(d);
        });
        QVERIFY(seen.opened);
        QVERIFY(seen.hasSizeRow);
        QCOMPARE(seen.startSize, QSize(1600, 1000));  // the caller's default: nothing remembered yet
        QCOMPARE(seen.startDpi, 200);
        QVERIFY2(!seen.stillOpen, qPrintable(seen.error));
        QImage img(file);
        QVERIFY2(!img.isNull(), qPrintable(file));
        QCOMPARE(img.size(), QSize(640, 480));
        QVERIFY(std::abs(img.dotsPerMeterX() - 300 / 0.0254) < 1.0);
        QVERIFY(std::abs(img.dotsPerMeterY() - 300 / 0.0254) < 1.0);
        const QString message = window_->statusBar()->currentMessage();
        QVERIFY2(message.contains(QDir::toNativeSeparators(file)), qPrintable(message));
        QVERIFY2(message.contains(QStringLiteral("640×480, 300 dpi")), qPrintable(message));
    }

    void nextExportStartsWhereTheLastEnded()
    {
        const Seen seen = runExport(*view_, QStringLiteral("Figure…"), [](FigureExportDialog* d) { d->reject(); });
        QVERIFY(seen.opened);
        QCOMPARE(QFileInfo(seen.startPath).absolutePath(), QFileInfo(out_).absoluteFilePath());
        QCOMPARE(QFileInfo(seen.startPath).fileName(), QStringLiteral("figure3.png"));  // the caller's name
        QCOMPARE(seen.startSize, QSize(640, 480));
        QCOMPARE(seen.startDpi, 300);
        QSettings settings;
        QCOMPARE(settings.value(QStringLiteral("export/width")).toInt(), 640);
        QCOMPARE(settings.value(QStringLiteral("export/dpi")).toInt(), 300);
    }

    void unknownSuffixIsRefused()
    {
        const QString folder = tmp_.filePath(QStringLiteral("refused"));
        QVERIFY(QDir().mkpath(folder));
        window_->statusBar()->clearMessage();
        const Seen seen = runExport(*view_, QStringLiteral("Figure…"), [&](FigureExportDialog* d) {
            choose(d, folder + QStringLiteral("/figure.bmpx"), 500, 400, 100);
            clickExport(d);
            saveScreenshot(d, QStringLiteral("export-dialog-refused.png"));
        });
        QVERIFY(seen.opened);
        QVERIFY(seen.stillOpen);
        QVERIFY2(seen.error.contains(QStringLiteral(".bmpx")) && seen.error.contains(QStringLiteral(".png")), qPrintable(seen.error));
        QVERIFY(QDir(folder).entryList(QDir::NoDotAndDotDot | QDir::AllEntries).isEmpty());
        QVERIFY(window_->statusBar()->currentMessage().isEmpty());
        QCOMPARE(QSettings().value(QStringLiteral("export/width")).toInt(), 640);  // a refusal remembers nothing
    }

    void replacingAsksFirst()
    {
        const QString file = out_ + QStringLiteral("/existing.png");
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("keep me");
        f.close();
        QString question;
        const Seen seen = runExport(*view_, QStringLiteral("Figure…"), [&](FigureExportDialog* d) {
            choose(d, file, 300, 200, 96);
            // The question is modal too: answer it from inside its own exec().
            QTimer::singleShot(0, d, [&] {
                if (auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget())) {
                    question = box->text();
                    box->button(QMessageBox::No)->click();
                }
            });
            clickExport(d);
        });
        QVERIFY(seen.opened);
        QVERIFY2(question.contains(QStringLiteral("existing.png")), qPrintable(question));
        QVERIFY(seen.stillOpen);  // "No": back to the dialog, nothing written
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll(), QByteArray("keep me"));
    }

    void dpiOnlyForPng()
    {
        bool pdfDpi = true, pngDpi = false;
        const Seen seen = runExport(*view_, QStringLiteral("Figure…"), [&](FigureExportDialog* d) {
            d->pathEdit()->setText(out_ + QStringLiteral("/vector.pdf"));
            pdfDpi = d->dpiBox()->isEnabled();
            d->pathEdit()->setText(out_ + QStringLiteral("/raster.png"));
            pngDpi = d->dpiBox()->isEnabled();
            d->reject();
        });
        QVERIFY(seen.opened);
        QVERIFY(!pdfDpi);
        QVERIFY(pngDpi);
    }

    void csvHasNoSizeRow()
    {
        const QString file = out_ + QStringLiteral("/curves.csv");
        const Seen seen = runExport(*view_, QStringLiteral("Curves as CSV…"), [&](FigureExportDialog* d) {
            d->pathEdit()->setText(file);
            clickExport(d);
        });
        QVERIFY(seen.opened);
        QVERIFY(!seen.hasSizeRow);
        QCOMPARE(QFileInfo(seen.startPath).absolutePath(), QFileInfo(out_).absoluteFilePath());
        QVERIFY2(!seen.stillOpen, qPrintable(seen.error));
        QFile f(file);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QVERIFY(f.readLine().startsWith("run,step,epoch,time_s,series,value"));
        const QString message = window_->statusBar()->currentMessage();
        QCOMPARE(message, QStringLiteral("Exported ") + QDir::toNativeSeparators(file));
    }
};

QTEST_MAIN(TestExportDialog)
#include "test_export_dialog.moc"
