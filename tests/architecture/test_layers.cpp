// The layers hold (docs/architecture.md): every #include in core/, widgets/ and app/ points to
// its own room or one below it; nn sees no OpenCV; no core room sees Qt; widgets never reach
// into app. CMake links each layer only to those below, but all rooms share one include root,
// so an upward include of a header-only declaration would still compile: this is the check.
#include <QtTest/QtTest>

#include <QDirIterator>
#include <QRegularExpression>

#include <map>
#include <set>

namespace {

const QStringList kOrder = {"io", "data", "nn", "dist", "pretrained", "eval", "run", "match", "perf", "widgets", "app"};

// What each room may include besides itself (nn: LibTorch only, so neither io nor data).
std::set<QString> allowedBelow(const QString& room)
{
    if (room == QLatin1String("nn")) return {};
    std::set<QString> below;
    for (const auto& r : kOrder) {
        if (r == room) break;
        below.insert(r);
    }
    if (room == QLatin1String("data")) below.erase(QStringLiteral("nn"));
    return below;
}

// The violations in one file's text, as "line N: reason".
QStringList violations(const QString& room, const QString& text)
{
    static const QRegularExpression include(QStringLiteral(R"(^\s*#\s*include\s*([<"])([^>"]+)[>"])"), QRegularExpression::MultilineOption);
    const bool isCore = kOrder.indexOf(room) <= kOrder.indexOf(QStringLiteral("perf"));
    const auto allowed = allowedBelow(room);
    QStringList out;
    for (auto it = include.globalMatch(text); it.hasNext();) {
        const auto m = it.next();
        const QString path = m.captured(2);
        const int line = text.left(m.capturedStart()).count(QLatin1Char('\n')) + 1;
        const QString at = QStringLiteral("line %1: ").arg(line);
        const QString first = path.section(QLatin1Char('/'), 0, 0);
        if (m.captured(1) == QLatin1String("\"") && kOrder.contains(first) && first != room && !allowed.count(first))
            out << at + QStringLiteral("%1 includes \"%2\", which is not below it").arg(room, path);
        if (room == QLatin1String("nn") && path.startsWith(QLatin1String("opencv")))
            out << at + QStringLiteral("nn includes OpenCV <%1> (nn is LibTorch only)").arg(path);
        if (isCore && m.captured(1) == QLatin1String("<") && (path.startsWith(QLatin1Char('Q')) || path.startsWith(QLatin1String("qt"))))
            out << at + QStringLiteral("core room %1 includes Qt <%2>").arg(room, path);
    }
    return out;
}

}  // namespace

class TestLayers : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // The checker itself catches each kind of violation and passes the allowed arrows.
    void checkerCatchesViolations_data()
    {
        QTest::addColumn<QString>("room");
        QTest::addColumn<QString>("text");
        QTest::addColumn<bool>("bad");
        QTest::newRow("nn -> data") << "nn"
                                    << "#include \"data/image_pipeline.h\"\n"
                                    << true;
        QTest::newRow("nn -> OpenCV") << "nn"
                                      << "#include <torch/torch.h>\n#include <opencv2/core.hpp>\n"
                                      << true;
        QTest::newRow("data -> run") << "data"
                                     << "#include \"run/trainer.h\"\n"
                                     << true;
        QTest::newRow("run -> match") << "run"
                                      << "  #  include \"match/gallery.h\"\n"
                                      << true;
        QTest::newRow("core -> Qt") << "eval"
                                    << "#include <QString>\n"
                                    << true;
        QTest::newRow("widgets -> app") << "widgets"
                                        << "#include \"app/cli_main.h\"\n"
                                        << true;
        QTest::newRow("run -> eval, nn") << "run"
                                         << "#include \"eval/embedder.h\"\n#include \"nn/multitask_net.h\"\n"
                                         << false;
        QTest::newRow("pretrained -> nn") << "pretrained"
                                          << "#include \"nn/weight_source.h\"\n"
                                          << false;
        QTest::newRow("widgets -> Qt, run") << "widgets"
                                            << "#include <QWidget>\n#include \"run/trainer.h\"\n"
                                            << false;
        QTest::newRow("own room") << "nn"
                                  << "#include \"nn/backbone.h\"\n#include <torch/torch.h>\n"
                                  << false;
    }
    void checkerCatchesViolations()
    {
        QFETCH(QString, room);
        QFETCH(QString, text);
        QFETCH(bool, bad);
        QCOMPARE(!violations(room, text).isEmpty(), bad);
    }

    void everyIncludePointsDown()
    {
        const QString root = QStringLiteral(CARILAB_SOURCE_DIR);
        QStringList all;
        int files = 0;
        for (const QString& room : kOrder) {
            const QString dir = room == QLatin1String("widgets") || room == QLatin1String("app") ? root + "/" + room : root + "/core/" + room;
            QVERIFY2(QFileInfo(dir).isDir(), qPrintable(dir));
            QDirIterator it(dir, {QStringLiteral("*.h"), QStringLiteral("*.cpp")}, QDir::Files, QDirIterator::Subdirectories);
            while (it.hasNext()) {
                const QString path = it.next();
                QFile f(path);
                QVERIFY(f.open(QIODevice::ReadOnly));
                ++files;
                for (const auto& v : violations(room, QString::fromUtf8(f.readAll()))) all << QDir(root).relativeFilePath(path) + ": " + v;
            }
        }
        QVERIFY2(files > 150, qPrintable(QStringLiteral("only %1 source files found under %2").arg(files).arg(root)));
        QVERIFY2(all.isEmpty(), qPrintable(all.join(QLatin1Char('\n'))));
    }
};

QTEST_GUILESS_MAIN(TestLayers)
#include "test_layers.moc"
