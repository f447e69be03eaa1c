// The real main window, every tab at 1280x720 and at 1024x700, on the built-in demo dataset
// (CariSynth, with a short real run for the Runs, Evaluation and Match tabs) and on cavi-dev when
// this machine has it. Each tab is grabbed into a PNG under <build>/tests/artifacts/screenshots/
// for a person to look at, and checked for what that person would call broken: the window
// changing its own size, a tab squeezed below the room its layout needs (widgets overlap), a
// button or one-line label whose text is cut, a word-wrapped label shorter than its text.
#include "data/carisynth.h"
#include "dataset_browser.h"
#include "elided_label.h"
#include "image_inspector.h"
#include "main_window.h"
#include "runs_view.h"
#include "test_support.h"
#include "thumbnail_grid_probe.h"
#include "thumbnail_loader.h"
#include "thumbnail_model.h"

#include <QtTest/QtTest>

#include <QAbstractButton>
#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QLabel>
#include <QLayout>
#include <QListView>
#include <QSettings>
#include <QStandardPaths>
#include <QTabBar>
#include <QTabWidget>

using namespace carilab;
using namespace carilab::widgets;

namespace {

QString describe(const QWidget* w)
{
    QString name = QString::fromLatin1(w->metaObject()->className());
    if (!w->objectName().isEmpty()) name += QLatin1Char('#') + w->objectName();
    return name;
}

bool shown(const QWidget* w, const QWidget* page) { return w->isVisible() && w->isVisibleTo(page) && w->width() > 0; }

// What a person would see as cut in the visible part of page: text that does not fit its
// widget, and widgets whose layout got less room than its minimum (its children overlap).
QStringList cutOrSqueezed(QWidget* page)
{
    QStringList out;
    for (QWidget* w : page->findChildren<QWidget*>()) {
        if (!shown(w, page)) continue;
        // A layout given less than its minimum lays its children over each other.
        if (QLayout* l = w->layout()) {
            const QSize need = l->minimumSize(), got = w->size();
            if (need.width() > got.width() || need.height() > got.height())
                out << QStringLiteral("%1 squeezed: needs %2x%3, has %4x%5")
                           .arg(describe(w))
                           .arg(need.width())
                           .arg(need.height())
                           .arg(got.width())
                           .arg(got.height());
        }
        if (auto* b = qobject_cast<QAbstractButton*>(w)) {
            // The style's size for the text (a push button's hint has a floor of its own, which
            // a narrow "…" button rightly ignores).
            QString text = b->text();
            text.remove(QLatin1Char('&'));
            const int need =
                std::min(b->sizeHint().width(), b->fontMetrics().horizontalAdvance(text) + (b->icon().isNull() ? 0 : b->iconSize().width() + 4) + 12);
            if (!text.isEmpty() && need > b->width())
                out << QStringLiteral("button '%1' cut: needs %2 px, has %3").arg(text).arg(need).arg(b->width());
        } else if (auto* c = qobject_cast<QComboBox*>(w)) {
            if (c->minimumSizeHint().width() > c->width())
                out << QStringLiteral("combo '%1' cut: needs %2 px, has %3").arg(c->currentText()).arg(c->minimumSizeHint().width()).arg(c->width());
        } else if (auto* label = qobject_cast<QLabel*>(w)) {
            if (qobject_cast<ElidedLabel*>(w) || label->text().isEmpty()) continue;  // elides on purpose, full text as tooltip
            if (label->wordWrap()) {
                if (label->heightForWidth(label->width()) > label->height())
                    out << QStringLiteral("wrapped label '%1' cut: needs %2 px high, has %3")
                               .arg(label->text().left(60))
                               .arg(label->heightForWidth(label->width()))
                               .arg(label->height());
            } else if (label->sizeHint().width() > label->width() + 1 || label->sizeHint().height() > label->height() + 1) {
                out << QStringLiteral("label '%1' cut: needs %2x%3, has %4x%5")
                           .arg(label->text().left(60))
                           .arg(label->sizeHint().width())
                           .arg(label->sizeHint().height())
                           .arg(label->width())
                           .arg(label->height());
            }
        }
    }
    return out;
}

bool thumbnailsSettled(DatasetBrowser* b)
{
    for (int r : visibleRows(b->thumbnailView())) {
        const int s = b->thumbnailModel()->index(r).data(ThumbnailModel::StateRole).toInt();
        if (s != static_cast<int>(ThumbnailLoader::State::Ready) && s != static_cast<int>(ThumbnailLoader::State::Failed)) return false;
    }
    return true;
}

QString slug(const QString& text)
{
    QString s = text.toLower();
    s.replace(QRegularExpression(QStringLiteral("[^a-z0-9]+")), QStringLiteral("-"));
    return s.section(QLatin1Char('-'), 0, 0, QString::SectionSkipEmpty);
}

}  // namespace

class TestScreenshots final : public QObject {
    Q_OBJECT

private:
    QTemporaryDir tmp_;
    QString demo_, runs_, out_;

    // Grabs the window as it is into <out>/<dataset>-<size>-<name>.png and checks it.
    void shoot(MainWindow& w, const QSize& size, const QString& dataset, const QString& name, bool strict)
    {
        QApplication::processEvents();
        QTest::qWait(150);  // queued relayouts and replots
        const QString file = QStringLiteral("%1/%2-%3x%4-%5.png").arg(out_, dataset).arg(size.width()).arg(size.height()).arg(name);
        QVERIFY(w.grab().save(file));
        QVERIFY2(w.size() == size,
                 qPrintable(QStringLiteral("%1: the window is %2x%3, asked %4x%5")
                                .arg(file)
                                .arg(w.width())
                                .arg(w.height())
                                .arg(size.width())
                                .arg(size.height())));
        const QStringList problems = cutOrSqueezed(w.tabs()->currentWidget()) + cutOrSqueezed(w.tabs()->tabBar());
        if (problems.isEmpty()) return;
        if (strict) QFAIL(qPrintable(file + QStringLiteral(":\n  ") + problems.join(QStringLiteral("\n  "))));
        // Tabs whose layout this test does not own yet: listed for whoever fixes them.
        qWarning("%s (not checked strictly):\n  %s", qPrintable(file), qPrintable(problems.join(QStringLiteral("\n  "))));
    }

    void everyTab(const QString& dataset, const QString& root, const QSize& size)
    {
        MainWindow w;
        w.setConfirmClose(false);
        w.resize(size);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        DatasetBrowser* b = w.datasetBrowser();
        QSignalSpy loaded(b, &DatasetBrowser::datasetLoaded);
        w.openStartDataset(root);
        QVERIFY(loaded.wait(60000));
        w.runsView()->selectRuns({runs_ + QStringLiteral("/demo-run")});  // the Evaluation tab shows it
        QCOMPARE(w.tabs()->currentWidget(), static_cast<QWidget*>(b));
        QTRY_VERIFY_WITH_TIMEOUT(thumbnailsSettled(b), 30000);
        for (int i = 0; i < w.tabs()->count(); ++i) {
            w.tabs()->setCurrentIndex(i);
            const QString tab = slug(w.tabs()->tabText(i));
            const bool datasets = w.tabs()->currentWidget() == b;
            shoot(w, size, dataset, tab, datasets);
            if (QTest::currentTestFailed()) return;
            if (!datasets) continue;
            // The inspector on the first thumbnail: the Datasets tab's other face.
            QSignalSpy inspected(b->inspector(), &ImageInspector::imageShown);
            b->inspectRow(0);
            QVERIFY(inspected.wait(20000));
            QTRY_VERIFY(!b->inspector()->isBusy());
            shoot(w, size, dataset, tab + QStringLiteral("-image"), true);
            if (QTest::currentTestFailed()) return;
        }
        w.close();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(tmp_.isValid());
        QStandardPaths::setTestModeEnabled(true);
        qputenv("CARILAB_HOME", tmp_.filePath(QStringLiteral("home")).toUtf8());
        out_ = QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("artifacts/screenshots"));
        QDir(out_).removeRecursively();
        QVERIFY(QDir().mkpath(out_));
        qInfo("screenshots: %s", qPrintable(out_));
        // The built-in demo set where the GUI looks for it, smaller than the real one.
        demo_ = tmp_.filePath(QStringLiteral("home/datasets/carisynth-demo"));
        data::CariSynthOptions o;
        o.identities = 10;
        o.photosPerIdentity = 8;
        o.caricaturesPerIdentity = 8;
        o.size = 96;
        data::generateCariSynth(demo_.toStdString(), o);
        // One short real run, so Runs, Evaluation and Match have something to show.
        runs_ = tmp_.filePath(QStringLiteral("home/runs"));
        const auto r = test::runCli({QStringLiteral("train"), QStringLiteral("--dataset"), demo_, QStringLiteral("--run-dir"),
                                     runs_ + QStringLiteral("/demo-run"), QStringLiteral("--steps"), QStringLiteral("20"), QStringLiteral("--batch"),
                                     QStringLiteral("16"), QStringLiteral("--threads"), QStringLiteral("2")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    }

    void everyTab_data()
    {
        QTest::addColumn<QString>("dataset");
        QTest::addColumn<QSize>("size");
        QTest::newRow("demo 1280x720") << QStringLiteral("demo") << QSize(1280, 720);
        QTest::newRow("demo 1024x700") << QStringLiteral("demo") << QSize(1024, 700);
        QTest::newRow("cavi-dev 1280x720") << QStringLiteral("cavi-dev") << QSize(1280, 720);
        QTest::newRow("cavi-dev 1024x700") << QStringLiteral("cavi-dev") << QSize(1024, 700);
    }

    // Nothing open and nothing to open (a remembered dataset since moved away): the empty
    // Datasets tab with its notice, at the small size.
    void emptyDatasetsTab()
    {
        const QSize size(1024, 700);
        QSettings().setValue(QLatin1String(MainWindow::kLastDatasetKey), tmp_.filePath(QStringLiteral("moved-away")));
        MainWindow w;
        w.setConfirmClose(false);
        w.datasetBrowser()->setDefaultDataset(tmp_.filePath(QStringLiteral("no-demo-here")));
        QVERIFY(!w.openStartDataset());
        w.resize(size);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.tabs()->setCurrentWidget(w.datasetBrowser());
        QVERIFY(!w.datasetBrowser()->notice().isEmpty());
        shoot(w, size, QStringLiteral("none"), QStringLiteral("datasets"), true);
        QSettings().remove(QLatin1String(MainWindow::kLastDatasetKey));
        w.close();
    }

    void everyTab()
    {
        QFETCH(QString, dataset);
        QFETCH(QSize, size);
        QString root = demo_;
        if (dataset == QStringLiteral("cavi-dev")) {
            root = test::sharedDir() + QStringLiteral("/datasets/cavi-dev");
            if (!QFileInfo(root).isDir()) QSKIP("../shared/datasets/cavi-dev is not here");
        }
        everyTab(dataset, root, size);
    }
};

QTEST_MAIN(TestScreenshots)
#include "test_screenshots.moc"
