#include "eval_worker.h"

#include "run/checkpoint.h"
#include "run/failure_gallery.h"
#include "run/model_selection.h"
#include "run/run_directory.h"
#include "run/run_evaluation.h"
#include "run/train_config.h"
#include "run/user_message.h"

namespace carilab::widgets {

namespace {

QString fromStd(const std::string& text) { return QString::fromStdString(text); }
std::string toStd(const QString& text) { return text.toStdString(); }

// A deep copy: the QImage outlives the Mat and crosses threads.
QImage toQImage(const cv::Mat& rgb)
{
    if (rgb.empty() || rgb.type() != CV_8UC3) return {};
    return QImage(rgb.data, rgb.cols, rgb.rows, static_cast<qsizetype>(rgb.step), QImage::Format_RGB888).copy();
}

}  // namespace

EvalWorker::EvalWorker()
{
    qRegisterMetaType<EvalChoices>();
    qRegisterMetaType<FailureResultPtr>();
}

void EvalWorker::listChoices(quint64 id, const QString& runDir, const QString& dataset, const QString& format)
{
    EvalChoices c;
    c.id = id;
    c.runDir = runDir;
    c.ownDataset = dataset.isEmpty();
    try {
        const auto rd = run::RunDirectory::open(toStd(runDir));
        for (const auto& [step, path] : run::listCheckpoints(rd.checkpointsDir())) c.checkpoints.push_back({step, fromStd(path)});
        c.hasBest = !run::listCheckpoints(run::bestCheckpointDir(rd)).empty();
        if (c.ownDataset) {
            const run::TrainConfig config = run::trainConfigFromJson(rd.config(), rd.configPath());
            c.dataset = fromStd(config.dataset);
            c.format = fromStd(config.format);
        } else {
            c.dataset = dataset;
            c.format = format.isEmpty() ? QStringLiteral("auto") : format;
        }
        // Indexing the dataset (a directory walk) is why this runs here and not on the GUI thread.
        const auto fit = run::fittingProtocols(toStd(c.dataset), toStd(c.format));
        for (const auto& p : fit.protocols) c.protocols << fromStd(p);
        for (const auto& l : fit.caviPairLists) c.caviPairLists << fromStd(l);
    } catch (const std::exception& e) {
        c.protocols.clear();
        c.error = fromStd(run::userMessage(e));
    }
    Q_EMIT choicesReady(c);
}

void EvalWorker::evaluate(const run::EvaluationRequest& request)
{
    try {
        const auto outcome = run::evaluateRun(
            request, [this](std::size_t done, std::size_t total) { Q_EMIT progress(static_cast<int>(done), static_cast<int>(total)); },
            [this] { return cancel_.load(); });
        Q_EMIT finished(fromStd(request.runDir), fromStd(outcome.key));
    } catch (const run::EvaluationCancelled&) {
        Q_EMIT cancelled();
    } catch (const std::exception& e) {
        Q_EMIT failed(fromStd(run::userMessage(e, request.batch)));
    }
}

void EvalWorker::analyseFailures(const run::FailureRequest& request)
{
    try {
        auto result = std::make_shared<FailureResult>();
        result->request = request;
        // analyseFailures takes no cancel check; like evaluateRun, cancel from inside the
        // embedding pass (the only long part) by throwing from its progress callback.
        auto reporting = [this](std::size_t done, std::size_t total) {
            if (cancel_.load()) throw run::EvaluationCancelled();
            Q_EMIT progress(static_cast<int>(done), static_cast<int>(total));
        };
        auto warn = [&result](const std::string& w) { result->warnings << fromStd(w); };
        result->gallery = run::analyseFailures(request, reporting, warn);
        for (const auto& [image, crop] : result->gallery.crops) result->crops.insert(image, toQImage(crop));
        Q_EMIT failuresReady(result);
    } catch (const run::EvaluationCancelled&) {
        Q_EMIT failuresCancelled();
    } catch (const std::exception& e) {
        Q_EMIT failuresFailed(fromStd(run::userMessage(e, request.evaluation.batch)));
    }
}

}  // namespace carilab::widgets
