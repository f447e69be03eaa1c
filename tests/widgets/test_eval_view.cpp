// The Evaluation view for real: a short training on a CaVI-layout fixture, carilab-cli eval by
// the CaVI protocol, then the view on that run checked against the eval.json the CLI wrote:
// table, ROC, CMC, histograms, issues, exports, the empty states and the main window wiring.
// Then its Evaluate panel on a copy of the run: the protocols offered, a CaVI evaluation that
// must agree with the CLI's, the all-images protocol, cancelling, and closing during a run.
#include "elided_label.h"
#include "eval_view.h"
#include "export_dialog_driver.h"
#include "fixture_trees.h"
#include "main_window.h"
#include "runs_view.h"
#include "test_support.h"

#include "qcustomplot_include.h"

#include "data/carisynth.h"

#include <QtTest/QtTest>

#include <QCheckBox>
#include <QComboBox>
#include <QImage>
#include <QListWidget>
#include <QMainWindow>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollBar>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableWidget>

#include <cmath>

using namespace carilab;
using namespace carilab::widgets;
using nlohmann::json;

namespace {

json readJson(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return {};
    const QByteArray b = f.readAll();
    return json::parse(b.constBegin(), b.constEnd(), nullptr, false);
}

void writeText(const QString& path, const QByteArray& text)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    f.open(QIODevice::WriteOnly | QIODevice::Truncate);
    f.write(text);
}

// Written out here rather than through formatMeanStd, so the view's formatting is checked too.
QString expectedMeanStd(const json& mean, const json& sd, const char* key)
{
    if (!mean.contains(key) || !mean[key].is_number()) return QStringLiteral("–");
    return QStringLiteral("%1%\n± %2").arg(100 * mean[key].get<double>(), 0, 'f', 2).arg(100 * sd[key].get<double>(), 0, 'f', 2);
}

int findRow(const QTableWidget* t, const QString& first, int from = 0)
{
    for (int r = from; r < t->rowCount(); ++r)
        if (t->item(r, 0) && t->item(r, 0)->text() == first) return r;
    return -1;
}

QByteArray readBytes(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

bool copyTree(const QString& from, const QString& to)
{
    QDir().mkpath(to);
    for (const QFileInfo& fi : QDir(from).entryInfoList(QDir::Files | QDir::Dirs | QDir::NoDotAndDotDot)) {
        const QString target = to + QLatin1Char('/') + fi.fileName();
        if (fi.isDir() ? !copyTree(fi.filePath(), target) : !QFile::copy(fi.filePath(), target)) return false;
    }
    return true;
}

QStringList itemData(const QComboBox* c)
{
    QStringList out;
    for (int i = 0; i < c->count(); ++i) out << c->itemData(i).toString();
    return out;
}

bool choose(QComboBox* c, const QString& data)
{
    const int i = c->findData(data);
    if (i >= 0) c->setCurrentIndex(i);
    return i >= 0;
}

QString cell(const QTableWidget* t, int row, int col) { return t->item(row, col) ? t->item(row, col)->text() : QString(); }

double barSum(QCPBars* bars)
{
    double s = 0;
    for (auto it = bars->data()->constBegin(); it != bars->data()->constEnd(); ++it) s += it->value;
    return s;
}

// setRun asks the worker for the run's protocols and checkpoints; they arrive queued.
bool showRun(EvalView& view, const QString& run)
{
    QSignalSpy choices(&view, &EvalView::choicesShown);
    view.setRun(run);
    return choices.count() > 0 || choices.wait(60000);
}

}  // namespace

class TestEvalView final : public QObject {
    Q_OBJECT

private:
    QTemporaryDir tmp_;
    QString runs_;
    QString run_;  // trained and evaluated by the CaVI protocol
    QString plainRun_;  // the same run before carilab-cli eval: held-out results only
    QString guiRun_;  // the same run with its checkpoints, before carilab-cli eval: the panel's
    json result_;  // eval.json's protocols["cavi/testing_1"]
    test::CaviFixture fx_;

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(tmp_.isValid());
        // The export dialog remembers its folder and size in QSettings; test mode keeps them under
        // ~/.qttest, and an earlier run's choices are dropped so the first export sees the defaults.
        QSettings().remove(QStringLiteral("export"));
        qputenv("CARILAB_HOME", tmp_.filePath(QStringLiteral("home")).toUtf8());
        fx_ = test::makeCaviFixture(tmp_.filePath(QStringLiteral("data")));
        runs_ = tmp_.filePath(QStringLiteral("runs"));
        run_ = runs_ + QStringLiteral("/cavi-run");
        const auto train = test::runCli({QStringLiteral("train"), QStringLiteral("--dataset"), fx_.root, QStringLiteral("--run-dir"), run_,
                                         QStringLiteral("--steps"), QStringLiteral("20"), QStringLiteral("--batch"), QStringLiteral("16"),
                                         QStringLiteral("--threads"), QStringLiteral("2"), QStringLiteral("--plain")},
                                        300000);
        QVERIFY2(train.exitCode == 0, qPrintable(train.err + train.out));

        // A copy of the run's files before evaluation: a real run with no protocol results.
        plainRun_ = runs_ + QStringLiteral("/plain-run");
        QDir().mkpath(plainRun_);
        for (const QFileInfo& fi : QDir(run_).entryInfoList(QDir::Files))
            QVERIFY(QFile::copy(fi.filePath(), plainRun_ + QLatin1Char('/') + fi.fileName()));

        guiRun_ = runs_ + QStringLiteral("/gui-run");
        QVERIFY(copyTree(run_, guiRun_));

        const auto eval = test::runCli({QStringLiteral("eval"), QStringLiteral("--run"), run_, QStringLiteral("--protocol"), QStringLiteral("cavi"),
                                        QStringLiteral("--threads"), QStringLiteral("2")},
                                       300000);
        QVERIFY2(eval.exitCode == 0, qPrintable(eval.err + eval.out));
        const json all = readJson(run_ + QStringLiteral("/eval.json"));
        QVERIFY(all.contains("protocols") && all["protocols"].contains("cavi/testing_1"));
        result_ = all["protocols"]["cavi/testing_1"];
        QVERIFY(result_.contains("verification") && result_.contains("identification") && result_.contains("classification"));
    }

    void listsTheProtocolsAndTheTable()
    {
        EvalView view;
        view.setRun(run_);
        QVERIFY(view.hasResults());
        QCOMPARE(view.protocolKeys(), QStringList{QStringLiteral("cavi/testing_1")});
        QCOMPARE(view.currentKey(), QStringLiteral("cavi/testing_1"));
        QCOMPARE(view.current()->step, result_["step"].get<long long>());
        QVERIFY(view.current()->label().contains(QStringLiteral("step 20")));

        const QTableWidget* t = view.table();
        const json& v = result_["verification"];
        const int head = findRow(t, QStringLiteral("Verification"));
        QVERIFY(head >= 0);
        QCOMPARE(cell(t, head, 1), QStringLiteral("AUC"));
        QCOMPARE(cell(t, head, 6), QStringLiteral("Pairs"));
        // One row per fold, in order, then mean ± std.
        const int folds = static_cast<int>(v["folds"].size());
        QCOMPARE(folds, 10);
        long long pairs = 0;
        for (int f = 0; f < folds; ++f) {
            const json& jf = v["folds"][f];
            QCOMPARE(cell(t, head + 1 + f, 0), QStringLiteral("fold %1").arg(jf["fold"].get<int>()));
            QCOMPARE(cell(t, head + 1 + f, 6), QString::number(jf["pairs"].get<long long>()));
            if (jf["auc"].is_number())
                QCOMPARE(t->item(head + 1 + f, 1)->data(Qt::UserRole).toDouble(), jf["auc"].get<double>());
            else
                QCOMPARE(cell(t, head + 1 + f, 1), QStringLiteral("–"));
            pairs += jf["pairs"].get<long long>();
        }
        const int mean = head + 1 + folds;
        QCOMPARE(cell(t, mean, 0), QStringLiteral("mean ± std"));
        QCOMPARE(cell(t, mean, 1), expectedMeanStd(v["mean"], v["std"], "auc"));
        QCOMPARE(cell(t, mean, 2), expectedMeanStd(v["mean"], v["std"], "val_far_0.1%"));
        QCOMPARE(cell(t, mean, 3), expectedMeanStd(v["mean"], v["std"], "val_far_1%"));
        QCOMPARE(cell(t, mean, 4), expectedMeanStd(v["mean"], v["std"], "accuracy"));
        QCOMPARE(cell(t, mean, 5), expectedMeanStd(v["mean"], v["std"], "eer"));
        QCOMPARE(cell(t, mean, 6), QString::number(pairs));
        QCOMPARE(pairs, v["pooled"]["pairs"].get<long long>());
        QCOMPARE(pairs, static_cast<long long>(fx_.goodPairs));  // every usable line of testing_1.txt scored

        // Identification: Rank-1 / Rank-10 per fold and mean ± std.
        const json& id = result_["identification"];
        const int idHead = findRow(t, QStringLiteral("Identification C2P"));
        QVERIFY(idHead > mean);
        QCOMPARE(cell(t, idHead, 1), QStringLiteral("Rank-1"));
        QCOMPARE(cell(t, idHead, 3), QStringLiteral("Rank-10"));
        QCOMPARE(cell(t, idHead + 1, 0), QStringLiteral("fold all"));
        QCOMPARE(t->item(idHead + 1, 1)->data(Qt::UserRole).toDouble(), id["folds"][0]["rank1"].get<double>());
        QCOMPARE(cell(t, idHead + 1, 4), QString::number(id["folds"][0]["probes"].get<long long>()));
        const int idMean = findRow(t, QStringLiteral("mean ± std"), idHead);
        QCOMPARE(cell(t, idMean, 1), expectedMeanStd(id["mean"], id["std"], "rank1"));
        QCOMPARE(cell(t, idMean, 3), expectedMeanStd(id["mean"], id["std"], "rank10"));

        // CaVI's softmax accuracies.
        const json& c = result_["classification"];
        const int cari = findRow(t, QStringLiteral("caricature branch"));
        QVERIFY(cari > idMean);
        QCOMPARE(cell(t, cari, 1), QStringLiteral("%1%").arg(100 * c["caricature_acc"].get<double>(), 0, 'f', 2));
        QCOMPARE(cell(t, cari, 2), QString::number(c["caricatures"].get<long long>()));
        const int vis = findRow(t, QStringLiteral("visual branch"));
        QCOMPARE(cell(t, vis, 1), QStringLiteral("%1%").arg(100 * c["visual_acc"].get<double>(), 0, 'f', 2));
        const int listed = findRow(t, QStringLiteral("caricature, listed"));
        QVERIFY(listed > cari);
        QCOMPARE(cell(t, listed, 1), QStringLiteral("%1%").arg(100 * c["caricature_acc_listed"].get<double>(), 0, 'f', 2));
    }

    // At the width the tab has in a 1024-px window, the table shows every column beside the
    // plots: no sideways scrolling (the mean's std sits under it to keep the columns narrow).
    void tableFitsAt1024()
    {
        EvalView view;
        view.resize(1000, 560);
        view.setRun(run_);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        const QTableWidget* t = view.table();
        int needed = 0;
        for (int c = 0; c < t->columnCount(); ++c) needed += t->columnWidth(c);
        QTRY_VERIFY2(t->viewport()->width() >= needed,
                     qPrintable(QStringLiteral("viewport %1 px, columns %2 px").arg(t->viewport()->width()).arg(needed)));
        QVERIFY(!t->horizontalScrollBar()->isVisible());
        const int mean = findRow(t, QStringLiteral("mean ± std"));
        QVERIFY(t->rowHeight(mean) >= 2 * t->fontMetrics().height());

        // The panel's dataset line shows what fits, elided, with the whole path as its tooltip.
        const auto* dataset = view.findChild<carilab::widgets::ElidedLabel*>();
        QVERIFY(dataset);
        QVERIFY(dataset->fullText().startsWith(QStringLiteral("Dataset: ")));
        QVERIFY(dataset->fontMetrics().horizontalAdvance(dataset->text()) <= dataset->contentsRect().width());
        if (dataset->isElided()) QVERIFY(dataset->toolTip().contains(dataset->fullText().mid(9)));
    }

    void plotsHoldTheResults()
    {
        EvalView view;
        view.resize(1400, 800);
        view.setRun(run_);
        const json& v = result_["verification"];

        // ROC: every point of eval.json's pooled ROC, on a log FAR axis that starts at 1e-4 or
        // below and shows FAR = 0 points at its left end.
        QCustomPlot* roc = view.rocPlot();
        QCOMPARE(roc->xAxis->scaleType(), QCPAxis::stLogarithmic);
        QVERIFY(!roc->xAxis->ticker().dynamicCast<QCPAxisTickerLog>().isNull());
        QVERIFY(roc->graphCount() >= 1);
        QCOMPARE(roc->graph(0)->dataCount(), int(v["roc"].size()));
        const double lower = roc->xAxis->range().lower;
        QVERIFY(lower > 0 && lower <= 1e-4);
        QCOMPARE(roc->xAxis->range().upper, 1.0);
        int i = 0;
        for (const auto& p : v["roc"]) {
            const auto d = roc->graph(0)->data()->at(i++);
            QCOMPARE(d->value, p[1].get<double>());
            QCOMPARE(d->key, std::max(p[0].get<double>(), lower));
        }
        QVERIFY(roc->legend->visible());

        // CMC: one point per rank.
        const json& cmc = result_["identification"]["cmc"];
        QVERIFY(cmc.size() >= 2);
        QCOMPARE(view.cmcPlot()->graphCount(), 1);
        QCOMPARE(view.cmcPlot()->graph(0)->dataCount(), int(cmc.size()));
        QCOMPARE(view.cmcPlot()->graph(0)->data()->at(0)->value, cmc[0].get<double>());
        QCOMPARE(view.cmcPlot()->graph(0)->data()->at(int(cmc.size()) - 1)->key, double(cmc.size()));

        // Histograms: genuine and impostor bars. In counts they add up to the pooled pairs; as
        // per-class fractions each class sums to 1.
        QCustomPlot* h = view.histogramPlot();
        view.setHistogramNormalized(false);
        QCOMPARE(h->plottableCount(), 3);  // the bars, and the mean threshold's line
        auto* genuine = qobject_cast<QCPBars*>(h->plottable(0));
        auto* impostor = qobject_cast<QCPBars*>(h->plottable(1));
        QVERIFY(genuine && impostor);
        QCOMPARE(genuine->dataCount(), int(v["histogram"]["genuine"].size()));
        QCOMPARE(qRound64(barSum(genuine) + barSum(impostor)), v["pooled"]["pairs"].get<long long>());
        long long positives = 0;
        for (const auto& f : v["folds"]) positives += f["positives"].get<long long>();
        QCOMPARE(qRound64(barSum(genuine)), positives);
        QVERIFY(genuine->brush().color().alpha() < 255);  // the classes overlap: see-through
        QVERIFY(genuine->brush().color().rgb() != impostor->brush().color().rgb());
        QVERIFY(h->legend->visible());
        QCOMPARE(h->legend->itemCount(), 3);
        QCOMPARE(h->graph(0)->data()->at(0)->key, v["mean"]["threshold"].get<double>());
        view.setHistogramNormalized(true);
        genuine = qobject_cast<QCPBars*>(h->plottable(0));
        impostor = qobject_cast<QCPBars*>(h->plottable(1));
        QVERIFY(qAbs(barSum(genuine) - 1.0) < 1e-9);
        QVERIFY(qAbs(barSum(impostor) - 1.0) < 1e-9);
    }

    void issuesAreListed()
    {
        EvalView view;
        view.setRun(run_);
        // The fixture's testing_1.txt has bad lines; the CLI reports them, the view lists them.
        const long long skipped = result_["skipped"].get<long long>();
        QVERIFY(skipped >= fx_.badPairLines);
        QCOMPARE(view.current()->skipped, skipped);
        const json& issues = result_["issues"];
        QVERIFY(!issues.empty());
        QVERIFY(view.issuesList()->count() >= int(issues.size()));
        QCOMPARE(view.issuesList()->item(0)->text(), QString::fromStdString(issues[0].get<std::string>()));
        QVERIFY(view.issuesList()->item(0)->text().contains(QStringLiteral("testing_1.txt")));
    }

    void exports_data()
    {
        QTest::addColumn<QString>("which");
        QTest::addColumn<QString>("suffix");
        for (const char* w : {"roc", "cmc", "histogram"})
            for (const char* s : {"png", "pdf", "svg"}) QTest::newRow(qPrintable(QStringLiteral("%1.%2").arg(w, s))) << w << s;
    }

    void exports()
    {
        QFETCH(QString, which);
        QFETCH(QString, suffix);
        EvalView view;
        view.setRun(run_);
        const QString out = tmp_.filePath(which + QLatin1Char('.') + suffix);
        QVERIFY2(view.exportPlot(which, out, 800, 600, 200), qPrintable(view.lastError()));
        QFile f(out);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray bytes = f.readAll();
        QVERIFY(bytes.size() > 1000);
        if (suffix == QLatin1String("png")) {
            QImage img;
            QVERIFY(img.loadFromData(bytes, "PNG"));
            QCOMPARE(img.size(), QSize(800, 600));
            QCOMPARE(qRound(img.dotsPerMeterX() * 0.0254), 200);
            // Something was drawn: not a blank page.
            QSet<QRgb> colours;
            for (int y = 0; y < img.height(); y += 7)
                for (int x = 0; x < img.width(); x += 7) colours.insert(img.pixel(x, y));
            QVERIFY(colours.size() > 3);
        } else if (suffix == QLatin1String("pdf")) {
            QVERIFY(bytes.startsWith("%PDF-"));
            QVERIFY(bytes.contains("%%EOF"));
        } else {
            QXmlStreamReader xml(bytes);
            bool sawSvg = false;
            while (!xml.atEnd()) {
                xml.readNext();
                if (xml.isStartElement() && xml.name() == QLatin1String("svg")) sawSvg = true;
            }
            QVERIFY2(!xml.hasError(), qPrintable(xml.errorString()));
            QVERIFY(sawSvg);
        }
    }

    void exportRefusals()
    {
        EvalView view;
        view.setRun(run_);
        QVERIFY(!view.exportPlot(QStringLiteral("roc"), tmp_.filePath(QStringLiteral("roc.bmp"))));
        QVERIFY(view.lastError().contains(QStringLiteral("unknown image format")));
        QVERIFY(!view.exportPlot(QStringLiteral("det"), tmp_.filePath(QStringLiteral("det.png"))));
        QVERIFY(!view.exportPlot(QStringLiteral("roc"), tmp_.filePath(QStringLiteral("no/such/folder/roc.png"))));
    }

    // The Export menu's real modal flow: the size and DPI chosen, the status bar's confirmation,
    // then the table's CSV through the same dialog, starting in the folder the figure went to.
    void exportsThroughTheDialog()
    {
        QMainWindow window;
        auto* view = new EvalView;
        window.setCentralWidget(view);
        view->setRun(run_);
        const QString folder = tmp_.filePath(QStringLiteral("dialog"));
        QVERIFY(QDir().mkpath(folder));
        const QString file = folder + QStringLiteral("/roc.png");
        const test::Seen figure = test::runExport(*view, QStringLiteral("ROC figure…"), [&](FigureExportDialog* d) {
            test::choose(d, file, 720, 540, 150);
            test::clickExport(d);
        });
        QVERIFY(figure.opened);
        QCOMPARE(QFileInfo(figure.startPath).absolutePath(), QFileInfo(run_).absoluteFilePath());  // nothing remembered yet: the run
        QCOMPARE(figure.startSize, QSize(1000, 720));
        QVERIFY2(!figure.stillOpen, qPrintable(figure.error));
        const QImage img(file);
        QCOMPARE(img.size(), QSize(720, 540));
        QCOMPARE(qRound(img.dotsPerMeterX() * 0.0254), 150);
        QCOMPARE(window.statusBar()->currentMessage(), QStringLiteral("Exported %1 (720×540, 150 dpi)").arg(QDir::toNativeSeparators(file)));

        const QString csv = folder + QStringLiteral("/table.csv");
        const test::Seen table = test::runExport(*view, QStringLiteral("Table as CSV…"), [&](FigureExportDialog* d) {
            d->pathEdit()->setText(csv);
            test::clickExport(d);
        });
        QVERIFY(table.opened);
        QVERIFY(!table.hasSizeRow);
        QCOMPARE(QFileInfo(table.startPath).absolutePath(), QFileInfo(folder).absoluteFilePath());
        QVERIFY(readBytes(csv).size() > 100);
        QCOMPARE(window.statusBar()->currentMessage(), QStringLiteral("Exported ") + QDir::toNativeSeparators(csv));
    }

    void tableCsv()
    {
        EvalView view;
        view.setRun(run_);
        const QString out = tmp_.filePath(QStringLiteral("table.csv"));
        QVERIFY2(view.exportTableCsv(out), qPrintable(view.lastError()));
        QFile f(out);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QStringList lines = QString::fromUtf8(f.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(lines.first(), QStringLiteral("protocol,section,row,metric,value"));
        auto value = [&](const QString& prefix) {
            for (const auto& l : lines)
                if (l.startsWith(prefix)) return l.section(QLatin1Char(','), -1).toDouble();
            return std::nan("");
        };
        const json& v = result_["verification"];
        QVERIFY(qAbs(value(QStringLiteral("cavi/testing_1,verification,mean,auc,")) - v["mean"]["auc"].get<double>()) < 1e-9);
        QCOMPARE(value(QStringLiteral("cavi/testing_1,verification,pooled,pairs,")), double(v["pooled"]["pairs"].get<long long>()));
        QVERIFY(qAbs(value(QStringLiteral("cavi/testing_1,identification,mean,rank1,")) - result_["identification"]["mean"]["rank1"].get<double>()) <
                1e-9);
        int foldAucRows = 0;
        for (const auto& l : lines)
            foldAucRows += l.startsWith(QStringLiteral("cavi/testing_1,verification,fold ")) && l.contains(QStringLiteral(",auc,"));
        QCOMPARE(foldAucRows, int(v["folds"].size()));
    }

    void emptyStates()
    {
        EvalView view;
        QVERIFY(!view.hasResults());
        QVERIFY(view.message().startsWith(QStringLiteral("Select a single run")));
        // A trained run that was never evaluated by a protocol (its eval.json, if any, holds
        // the held-out results only).
        view.setRun(plainRun_);
        QVERIFY(!view.hasResults());
        QVERIFY(view.protocolKeys().isEmpty());
        QVERIFY(view.message().startsWith(QStringLiteral("No protocol evaluation yet: choose a protocol above and press Evaluate.")));
        QVERIFY(view.message().contains(QStringLiteral("carilab-cli eval --run ") + QDir::toNativeSeparators(plainRun_) +
                                        QStringLiteral(" --protocol cavi|")));
        QVERIFY(view.message().contains(QStringLiteral("|images")));
        QVERIFY(!view.exportPlot(QStringLiteral("roc"), tmp_.filePath(QStringLiteral("empty.png"))));
        QVERIFY(!view.exportTableCsv(tmp_.filePath(QStringLiteral("empty.csv"))));
        // Then evaluated: the same view, reloaded, shows it.
        QVERIFY(QFile::remove(plainRun_ + QStringLiteral("/eval.json")) || !QFile::exists(plainRun_ + QStringLiteral("/eval.json")));
        QVERIFY(QFile::copy(run_ + QStringLiteral("/eval.json"), plainRun_ + QStringLiteral("/eval.json")));
        view.reload();
        QVERIFY(view.hasResults());
        QCOMPARE(view.protocolKeys(), QStringList{QStringLiteral("cavi/testing_1")});
        // An eval.json that is not JSON says so.
        const QString broken = tmp_.filePath(QStringLiteral("broken-run"));
        writeText(broken + QStringLiteral("/eval.json"), "{ \"protocols\": ");
        view.setRun(broken);
        QVERIFY(!view.hasResults());
        QVERIFY(view.message().contains(QStringLiteral("not valid JSON")));
    }

    void degenerateValuesShowDashes()
    {
        // What NaNs become in eval.json (null), missing keys, an identification-only protocol
        // (WebCaricature C2P) and a verification one whose folds had no impostor pairs.
        const QString dir = tmp_.filePath(QStringLiteral("degenerate-run"));
        writeText(dir + QStringLiteral("/eval.json"), R"({"protocols": {
            "webcari-c2p/view2": {"protocol": "webcari-c2p", "name": "FR_Caricature_to_Photo view 2", "view": 2, "step": 5,
                "skipped": 0, "issues": [],
                "identification": {"direction": "C2P", "folds": [{"fold": "1", "probes": 3, "gallery": 4, "rank1": null}],
                                   "mean": {}, "std": {}, "cmc": [0.25, null, 0.75]}},
            "cavi/validation": {"protocol": "cavi", "name": "cavi validation.txt", "step": null, "skipped": 7, "issues": ["x:1: bad"],
                "verification": {"folds": [{"fold": 1, "pairs": 4, "positives": 4, "negatives": 0, "auc": null, "eer": null}],
                                 "mean": {"accuracy": 1.0}, "std": {"accuracy": 0.0}, "pooled": {"pairs": 4, "auc": null},
                                 "roc": [[0, 0], [0, 0.5], [1, 1], [null, 1]],
                                 "histogram": {"min": 0.5, "max": 0.5, "genuine": [4, null], "impostor": [0, 0]}}}}})");
        EvalView view;
        view.setRun(dir);
        QCOMPARE(view.protocolKeys(), (QStringList{QStringLiteral("cavi/validation"), QStringLiteral("webcari-c2p/view2")}));

        QVERIFY(view.setCurrentKey(QStringLiteral("cavi/validation")));
        const QTableWidget* t = view.table();
        const int fold = findRow(t, QStringLiteral("fold 1"));
        QCOMPARE(cell(t, fold, 1), QStringLiteral("–"));  // AUC undefined without impostors
        QCOMPARE(cell(t, fold, 5), QStringLiteral("–"));
        const int mean = findRow(t, QStringLiteral("mean ± std"));
        QCOMPARE(cell(t, mean, 1), QStringLiteral("–"));
        QCOMPARE(cell(t, mean, 4), QStringLiteral("100.00%\n± 0.00"));
        QCOMPARE(view.current()->step, -1LL);
        QCOMPARE(view.rocPlot()->graph(0)->dataCount(), 3);
        QCOMPARE(view.cmcPlot()->graphCount(), 0);
        QVERIFY(view.issuesList()->count() == 2);  // the one message and "… and 6 more"
        QVERIFY(view.exportPlot(QStringLiteral("cmc"), tmp_.filePath(QStringLiteral("empty-cmc.png")), 400, 300));

        QVERIFY(view.setCurrentKey(QStringLiteral("webcari-c2p/view2")));
        QCOMPARE(view.rocPlot()->graphCount(), 0);
        QCOMPARE(view.histogramPlot()->plottableCount(), 0);
        QCOMPARE(view.cmcPlot()->graph(0)->dataCount(), 2);  // the null rank is left out
        QCOMPARE(cell(t, findRow(t, QStringLiteral("fold 1")), 1), QStringLiteral("–"));
        QVERIFY(view.current()->label().contains(QStringLiteral("step 5")));

        // A known key of the wrong type makes the file unreadable, and the message names it.
        const QString wrong = tmp_.filePath(QStringLiteral("wrong-type-run"));
        writeText(wrong + QStringLiteral("/eval.json"), R"({"protocols": {"cavi/validation": {"step": "five"}}})");
        view.setRun(wrong);
        QVERIFY(!view.hasResults());
        QVERIFY2(view.message().contains(QStringLiteral("\"protocols.cavi/validation.step\" is not a whole number")), qPrintable(view.message()));
    }

    void mainWindowFollowsTheRunsSelection()
    {
        MainWindow w;
        w.setConfirmClose(false);
        w.runsView()->setRunsDir(runs_);
        w.show();
        EvalView* ev = w.evalView();
        QVERIFY(ev);
        QVERIFY(w.tabs()->indexOf(ev) >= 0);
        w.runsView()->selectRuns({run_});
        QCOMPARE(ev->runDir(), run_);
        QVERIFY(ev->hasResults());
        QVERIFY(w.tabs()->tabText(w.tabs()->indexOf(ev)).contains(QStringLiteral("cavi-run")));
        // The Runs view's Evaluation button brings the tab forward.
        QPushButton* button = nullptr;
        for (auto* b : w.runsView()->findChildren<QPushButton*>())
            if (b->text() == QLatin1String("Evaluation")) button = b;
        QVERIFY(button);
        QTest::mouseClick(button, Qt::LeftButton);
        QCOMPARE(w.tabs()->currentWidget(), static_cast<QWidget*>(ev));
        // Two runs selected: no single run to show.
        w.runsView()->selectRuns({run_, plainRun_});
        QVERIFY(ev->runDir().isEmpty());
        QVERIFY(!ev->hasResults());
        // Refresh keeps the selection and reloads what the CLI may have added meanwhile.
        w.runsView()->selectRuns({run_});
        w.runsView()->refresh();
        QCOMPARE(ev->runDir(), run_);
        QVERIFY(ev->hasResults());
        QVERIFY(w.close());
    }

    void panelOffersTheFittingProtocols()
    {
        EvalView view;
        view.show();
        QVERIFY(!view.evaluateButton()->isVisible());  // no run, nothing to evaluate
        QVERIFY(showRun(view, guiRun_));
        QVERIFY(view.evaluateButton()->isVisible());
        QVERIFY(view.message().startsWith(QStringLiteral("No protocol evaluation yet")));
        QCOMPARE(itemData(view.protocolChoice()), (QStringList{QStringLiteral("cavi"), QStringLiteral("images")}));
        QCOMPARE(itemData(view.pairListChoice()), (QStringList{QStringLiteral("testing_1"), QStringLiteral("validation")}));
        QCOMPARE(view.checkpointChoice()->itemData(0).toString(), QStringLiteral("latest"));
        QVERIFY(view.checkpointChoice()->count() >= 2);  // and the kept step-*.pt files
        QVERIFY(view.evaluateButton()->isEnabled());
        QVERIFY(!view.cancelButton()->isEnabled());
        QVERIFY(!view.evaluateButton()->toolTip().isEmpty() && !view.cancelButton()->toolTip().isEmpty());
        QVERIFY(!view.mirrorBox()->toolTip().isEmpty() && !view.zoomOutBox()->toolTip().isEmpty());
        // The pair list is CaVI's only.
        QVERIFY(choose(view.protocolChoice(), QStringLiteral("images")));
        QVERIFY(!view.pairListChoice()->isVisible());

        // A CariSynth (folder-format) dataset has no protocol files: only "images", both as
        // another dataset for this run and as a run's own.
        data::CariSynthOptions o;
        o.identities = 3;
        o.photosPerIdentity = 2;
        o.caricaturesPerIdentity = 2;
        o.size = 64;
        const QString synth = QString::fromStdString(data::generateCariSynth(tmp_.filePath(QStringLiteral("synth")).toStdString(), o).root);
        QSignalSpy choices(&view, &EvalView::choicesShown);
        view.setEvalDataset(synth);
        QVERIFY(choices.wait(60000));
        QCOMPARE(itemData(view.protocolChoice()), QStringList{QStringLiteral("images")});
        QVERIFY(!view.pairListChoice()->isVisible());

        const QString synthRun = runs_ + QStringLiteral("/synth-run");
        QDir().mkpath(synthRun);
        json config = readJson(guiRun_ + QStringLiteral("/config.json"));
        config["dataset"] = synth.toStdString();
        config["format"] = "folder";
        config["split"] = "image";
        writeText(synthRun + QStringLiteral("/config.json"), QByteArray::fromStdString(config.dump(2)));
        QVERIFY(showRun(view, synthRun));
        QVERIFY2(view.evalStatus().isEmpty(), qPrintable(view.evalStatus()));
        QCOMPARE(itemData(view.protocolChoice()), QStringList{QStringLiteral("images")});
    }

    void panelEvaluatesLikeTheCli()
    {
        EvalView view;
        view.resize(1200, 800);
        view.show();
        QVERIFY(showRun(view, guiRun_));
        QVERIFY(choose(view.protocolChoice(), QStringLiteral("cavi")));
        QVERIFY(view.pairListChoice()->isVisible());
        QVERIFY(choose(view.pairListChoice(), QStringLiteral("testing_1")));
        QSignalSpy finished(&view, &EvalView::evaluationFinished);
        QSignalSpy progress(&view, &EvalView::evaluationProgress);
        QTest::mouseClick(view.evaluateButton(), Qt::LeftButton);
        QVERIFY(view.isEvaluating());
        QVERIFY(!view.evaluateButton()->isEnabled());
        QVERIFY(view.cancelButton()->isEnabled());
        QTRY_VERIFY_WITH_TIMEOUT(!view.isEvaluating(), 300000);
        QVERIFY2(finished.count() == 1, qPrintable(view.evalStatus()));
        QCOMPARE(finished[0][0].toString(), QStringLiteral("cavi/testing_1"));
        QVERIFY(progress.count() > 0);
        QCOMPARE(progress.last()[0].toInt(), progress.last()[1].toInt());
        QCOMPARE(view.progressBar()->value(), view.progressBar()->maximum());
        QVERIFY(view.evaluateButton()->isEnabled());

        // Shown, written, and the CLI's figures (same checkpoint and code, other thread count).
        QVERIFY(view.hasResults());
        QCOMPARE(view.currentKey(), QStringLiteral("cavi/testing_1"));
        const json all = readJson(guiRun_ + QStringLiteral("/eval.json"));
        QVERIFY(all["protocols"].contains("cavi/testing_1"));
        const json& mine = all["protocols"]["cavi/testing_1"];
        QCOMPARE(mine["step"].get<long long>(), result_["step"].get<long long>());
        const double auc = mine["verification"]["pooled"]["auc"].get<double>();
        QVERIFY2(std::abs(auc - result_["verification"]["pooled"]["auc"].get<double>()) < 1e-4, qPrintable(QString::number(auc)));
        QVERIFY(std::abs(mine["verification"]["mean"]["auc"].get<double>() - result_["verification"]["mean"]["auc"].get<double>()) < 1e-4);
        QVERIFY(QFileInfo::exists(guiRun_ + QStringLiteral("/eval/cavi-testing_1-scores.csv")));
        const QTableWidget* t = view.table();
        const int mean = findRow(t, QStringLiteral("mean ± std"));
        QVERIFY(mean >= 0);
        QCOMPARE(t->item(mean, 1)->data(Qt::UserRole).toDouble(), mine["verification"]["mean"]["auc"].get<double>());
    }

    void panelShowsTheImagesProtocol()
    {
        EvalView view;
        view.show();
        QVERIFY(showRun(view, guiRun_));
        struct Views {
            bool mirror, zoom;
            QString key;
        };
        for (const Views& v : {Views{false, false, QStringLiteral("all_images")}, Views{true, false, QStringLiteral("all_images+mirror")},
                               Views{true, true, QStringLiteral("all_images+mirror+zoom1.1")}}) {
            const bool mirror = v.mirror;
            QVERIFY(choose(view.protocolChoice(), QStringLiteral("images")));
            view.mirrorBox()->setChecked(mirror);
            view.zoomOutBox()->setChecked(v.zoom);
            QSignalSpy finished(&view, &EvalView::evaluationFinished);
            QTest::mouseClick(view.evaluateButton(), Qt::LeftButton);
            QTRY_VERIFY_WITH_TIMEOUT(!view.isEvaluating(), 300000);
            QVERIFY2(finished.count() == 1, qPrintable(view.evalStatus()));
            const QString& key = v.key;
            QCOMPARE(finished[0][0].toString(), key);
            QCOMPARE(view.currentKey(), key);
            QVERIFY(view.hasResults());
            const ImagesResult* r = view.currentImages();
            QVERIFY(r);
            QCOMPARE(r->mirror, mirror);
            QCOMPARE(r->label().contains(QStringLiteral("zoom-out 1.1")), v.zoom);
            QVERIFY(view.protocolKeys().contains(key));

            const json j = readJson(guiRun_ + QStringLiteral("/eval.json"))[key.toStdString()];
            QCOMPARE(j["mirror_average"].get<bool>(), mirror);
            QCOMPARE(j.contains("zoom_out"), v.zoom);
            const QTableWidget* t = view.table();
            const int cp = findRow(t, QStringLiteral("caricature-photo")), pp = findRow(t, QStringLiteral("photo-photo"));
            QVERIFY(cp >= 0 && pp >= 0);
            QCOMPARE(t->item(cp, 1)->data(Qt::UserRole).toDouble(), j["verification_acc"].get<double>());
            QCOMPARE(t->item(cp, 2)->data(Qt::UserRole).toDouble(), j["verification_auc"].get<double>());
            QCOMPARE(cell(t, cp, 3), QString::number(j["pairs"].get<long long>()));
            QCOMPARE(t->item(pp, 1)->data(Qt::UserRole).toDouble(), j["photo_verification_acc"].get<double>());
            QCOMPARE(cell(t, pp, 3), QString::number(j["photo_pairs"].get<long long>()));
            QVERIFY(cell(t, cp, 1).contains(QStringLiteral(" ± ")));
            const int cari = findRow(t, QStringLiteral("caricature branch")), visual = findRow(t, QStringLiteral("visual branch"));
            QVERIFY(cari > cp && visual > cari);
            QCOMPARE(t->item(cari, 1)->data(Qt::UserRole).toDouble(), j["caricature_acc"].get<double>());
            QCOMPARE(t->item(visual, 1)->data(Qt::UserRole).toDouble(), j["visual_acc"].get<double>());
            QCOMPARE(view.rocPlot()->graphCount(), 0);
            QVERIFY(!view.rocPlot()->isVisible());  // no curves kept: the table takes the room
            QVERIFY(!view.exportPlot(QStringLiteral("roc"), tmp_.filePath(QStringLiteral("images-roc.png"))));
        }
        // The protocol results stay selectable beside them.
        QVERIFY(view.setCurrentKey(QStringLiteral("cavi/testing_1")));
        QVERIFY(view.current());
        QVERIFY(view.rocPlot()->isVisible());
    }

    void cancelLeavesEvalJsonUnchanged()
    {
        EvalView view;
        view.show();
        QVERIFY(showRun(view, guiRun_));
        view.setEvalBatch(1);  // one image per batch: many batches to cancel between
        QVERIFY(choose(view.protocolChoice(), QStringLiteral("images")));
        view.mirrorBox()->setChecked(false);
        const QByteArray before = readBytes(guiRun_ + QStringLiteral("/eval.json"));
        QVERIFY(!before.isEmpty());
        int cancelledAt = -1, total = 0;
        connect(&view, &EvalView::evaluationProgress, &view, [&](int done, int all) {
            if (cancelledAt >= 0) return;
            cancelledAt = done;
            total = all;
            QVERIFY(view.cancelButton()->isEnabled());
            view.cancelButton()->click();
        });
        QSignalSpy cancelled(&view, &EvalView::evaluationCancelled);
        QSignalSpy finished(&view, &EvalView::evaluationFinished);
        QTest::mouseClick(view.evaluateButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!view.isEvaluating(), 300000);
        QCOMPARE(cancelled.count(), 1);
        QCOMPARE(finished.count(), 0);
        QVERIFY(cancelledAt >= 1 && cancelledAt < total);
        QVERIFY(view.evalStatus().startsWith(QStringLiteral("Cancelled")));
        QCOMPARE(readBytes(guiRun_ + QStringLiteral("/eval.json")), before);
        QVERIFY(view.evaluateButton()->isEnabled());
        QVERIFY(!view.cancelButton()->isEnabled());
    }

    void closingDuringAnEvaluationCancelsIt()
    {
        auto* view = new EvalView;
        view->show();
        QVERIFY(showRun(*view, guiRun_));
        view->setEvalBatch(1);
        QVERIFY(choose(view->protocolChoice(), QStringLiteral("images")));
        const QByteArray before = readBytes(guiRun_ + QStringLiteral("/eval.json"));
        QSignalSpy progress(view, &EvalView::evaluationProgress);
        QTest::mouseClick(view->evaluateButton(), Qt::LeftButton);
        QVERIFY(progress.wait(120000));
        delete view;  // cancels and joins the worker's thread
        QCOMPARE(readBytes(guiRun_ + QStringLiteral("/eval.json")), before);
        // And a new view may evaluate the run at once (the folder lock went with the worker).
        EvalView again;
        QVERIFY(showRun(again, guiRun_));
        QVERIFY(again.evaluateButton()->isEnabled());
    }
};

QTEST_MAIN(TestEvalView)
#include "test_eval_view.moc"
