// The Help menu, the About box and the user guide window: the application icon comes from the
// Qt resource; the About box names CariLab's, Qt's, LibTorch's, OpenCV's and the BLAS's versions
// and the pretrained networks' state, and fits a 1024x700 screen; the guide shows a docs folder's
// README.md, follows links between its pages, says so for a page that is not installed, and
// scales screenshots down to the page. Settings: test mode (~/.qttest), cleared at the start.
#include "about_dialog.h"
#include "main_window.h"
#include "user_guide.h"

#include <QtTest/QtTest>

#include <QApplication>
#include <QImage>
#include <QLabel>
#include <QMenuBar>
#include <QRegularExpression>
#include <QSettings>
#include <QStandardPaths>
#include <QTextBrowser>

using namespace carilab::widgets;

class TestHelp final : public QObject {
    Q_OBJECT

private:
    QTemporaryDir tmp_;
    QString docs_;

    static void write(const QString& path, const QByteArray& text)
    {
        QDir().mkpath(QFileInfo(path).path());
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(text);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(tmp_.isValid());
        QStandardPaths::setTestModeEnabled(true);
        QSettings().clear();
        // A small guide: a contents page with a link, a second page, a missing page, a wide image.
        docs_ = tmp_.filePath(QStringLiteral("doc"));
        write(docs_ + QStringLiteral("/README.md"),
              "# Guide contents\n\nSee [the command line](docs/cli.md) and [gone](docs/gone.md).\n\n"
              "![wide](docs/wide.png)\n");
        write(docs_ + QStringLiteral("/docs/cli.md"), "# Command line page\n\nBack to [contents](../README.md).\n");
        QImage wide(3000, 200, QImage::Format_RGB32);
        wide.fill(Qt::darkCyan);
        QVERIFY(wide.save(docs_ + QStringLiteral("/docs/wide.png")));
        qputenv("CARILAB_DOC_DIR", docs_.toLocal8Bit());
        // No pretrained networks here: the About box must say so.
        qputenv("CARILAB_PRETRAINED_DIR", tmp_.filePath(QStringLiteral("no-pretrained")).toLocal8Bit());
    }

    void iconIsTheResource()
    {
        QVERIFY(QFile::exists(QStringLiteral(":/carilab/carilab.svg")));
        const QIcon icon = applicationIcon();
        QVERIFY(!icon.isNull());
        for (int size : {16, 48, 256}) {
            const QImage image = icon.pixmap(QSize(size, size)).toImage();
            QCOMPARE(image.width(), size);
            // drawn, not blank: the corner is transparent, the middle is not
            QCOMPARE(qAlpha(image.pixel(0, 0)), 0);
            QVERIFY(qAlpha(image.pixel(size / 2, size / 2)) > 0);
        }
    }

    void helpMenu()
    {
        MainWindow window;
        QVERIFY(!window.windowIcon().isNull());
        QMenu* help = nullptr;
        for (QAction* a : window.menuBar()->actions())
            if (a->text() == QStringLiteral("&Help")) help = a->menu();
        QVERIFY(help);
        QCOMPARE(window.menuBar()->actions().constLast()->menu(), help);  // the last menu, as everywhere
        QStringList names;
        for (QAction* a : help->actions())
            if (!a->isSeparator()) names << a->text();
        QCOMPARE(names,
                 QStringList({QStringLiteral("User guide"), QStringLiteral("Command-line reference"), QStringLiteral("About CariLab"),
                              QStringLiteral("About Qt")}));
        QCOMPARE(help->actions().constFirst()->shortcut(), QKeySequence(QKeySequence::HelpContents));

        // The guide's window opens on the contents, and again on another page without a second window.
        window.show();
        UserGuideWindow* guide = window.showUserGuide();
        QVERIFY(guide && guide->isVisible());
        QVERIFY(guide->currentFile().endsWith(QStringLiteral("/README.md")));
        QCOMPARE(window.showUserGuide(QStringLiteral("docs/cli.md")), guide);
        QVERIFY(guide->currentFile().endsWith(QStringLiteral("/docs/cli.md")));
    }

    void aboutRows()
    {
        const auto rows = AboutDialog::versionRows();
        QStringList what;
        for (const auto& r : rows) what << r.first;
        QCOMPARE(what,
                 QStringList({QStringLiteral("CariLab"), QStringLiteral("Qt"), QStringLiteral("LibTorch"), QStringLiteral("OpenCV"),
                              QStringLiteral("BLAS"), QStringLiteral("Pretrained face networks"), QStringLiteral("User guide")}));
        QVERIFY(QRegularExpression(QStringLiteral("^\\d+\\.\\d+\\.\\d+$")).match(rows[0].second).hasMatch());
        QVERIFY(rows[1].second.startsWith(QString::fromLatin1(qVersion())));
        QVERIFY(QRegularExpression(QStringLiteral("^\\d+\\.\\d+")).match(rows[2].second).hasMatch());
        QVERIFY(QRegularExpression(QStringLiteral("^\\d+\\.\\d+")).match(rows[3].second).hasMatch());
        QVERIFY(!rows[4].second.isEmpty());
        QVERIFY2(rows[5].second.startsWith(QStringLiteral("not fetched")), qPrintable(rows[5].second));
        QVERIFY(rows[5].second.contains(QStringLiteral("carilab-cli pretrained fetch")));
        QCOMPARE(rows[6].second, QDir::toNativeSeparators(QDir(docs_).absolutePath()));

        AboutDialog about;
        QCOMPARE(about.versionText().count(QLatin1Char('\n')), rows.size());
        QVERIFY(about.versionText().contains(QStringLiteral("LibTorch: ") + rows[2].second));
        about.show();
        QVERIFY(QTest::qWaitForWindowExposed(&about));
        // A 1024x700 screen holds it, the long BLAS line wrapped rather than widening it.
        QVERIFY2(about.width() <= 1000 && about.height() <= 650, qPrintable(QStringLiteral("%1x%2").arg(about.width()).arg(about.height())));
        bool blasShown = false;
        for (auto* label : about.findChildren<QLabel*>()) blasShown |= label->text() == rows[4].second;
        QVERIFY(blasShown);
    }

    void guideFollowsLinks()
    {
        QCOMPARE(userGuideDir(), QDir(docs_).absolutePath());
        UserGuideWindow guide;
        guide.show();
        QVERIFY(QTest::qWaitForWindowExposed(&guide));
        QVERIFY(guide.showPage(QStringLiteral("README.md")));
        QVERIFY(guide.browser()->toPlainText().contains(QStringLiteral("Guide contents")));

        // The screenshot is scaled to the page's width.
        const QVariant image = guide.browser()->document()->resource(QTextDocument::ImageResource, QUrl(QStringLiteral("docs/wide.png")));
        QVERIFY(image.isValid());
        QVERIFY2(image.value<QImage>().width() <= guide.browser()->viewport()->width(), qPrintable(QString::number(image.value<QImage>().width())));

        Q_EMIT guide.browser()->anchorClicked(QUrl(QStringLiteral("docs/cli.md")));
        QVERIFY(guide.currentFile().endsWith(QStringLiteral("/docs/cli.md")));
        QVERIFY(guide.browser()->toPlainText().contains(QStringLiteral("Command line page")));
        Q_EMIT guide.browser()->anchorClicked(QUrl(QStringLiteral("../README.md")));
        QVERIFY(guide.currentFile().endsWith(QStringLiteral("/README.md")));
        QVERIFY(guide.browser()->isBackwardAvailable());

        // A link to a page that is not installed leaves the page as it was and says why.
        Q_EMIT guide.browser()->anchorClicked(QUrl(QStringLiteral("docs/gone.md")));
        QVERIFY(guide.currentFile().endsWith(QStringLiteral("/README.md")));
        bool said = false;
        for (auto* label : guide.findChildren<QLabel*>()) said |= label->text().startsWith(QStringLiteral("not installed: "));
        QVERIFY(said);

        QVERIFY(!guide.showPage(QStringLiteral("docs/missing.md")));
        QVERIFY(guide.browser()->toPlainText().contains(QStringLiteral("not installed")));
    }

    void noGuideInstalled()
    {
        qputenv("CARILAB_DOC_DIR", tmp_.filePath(QStringLiteral("nothing-here")).toLocal8Bit());
        // Without the variable's folder the guide comes from next to the program or the sources;
        // either way the window says what it shows or why it shows nothing.
        UserGuideWindow guide;
        const bool shown = guide.showPage(QStringLiteral("README.md"));
        QCOMPARE(shown, !userGuideDir().isEmpty());
        qputenv("CARILAB_DOC_DIR", docs_.toLocal8Bit());
    }
};

QTEST_MAIN(TestHelp)
#include "test_help.moc"
