#include "cli_progress.h"

#include <cmath>
#include <cstdio>
#include <iostream>
#include <unistd.h>

namespace carilab::cli {

namespace {

std::string fmt(const char* f, double v)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

std::string eta(double seconds)
{
    if (!(seconds >= 0) || seconds > 1e7) return "--:--";
    const long s = static_cast<long>(seconds);
    char buf[32];
    if (s >= 3600)
        std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else
        std::snprintf(buf, sizeof buf, "%02ld:%02ld", s / 60, s % 60);
    return buf;
}

// "1.234/0.567/0.890", or "-" for a record without the values (an old or hand-made file).
std::string perTask(const char* f, const std::optional<run::TaskValues>& v)
{
    if (!v) return "-";
    return fmt(f, (*v)[0]) + "/" + fmt(f, (*v)[1]) + "/" + fmt(f, (*v)[2]);
}

// A figure the evaluation could not measure (no caricatures held out) prints as "-", not 0 %.
std::string percent(const std::optional<double>& v) { return v && std::isfinite(*v) ? fmt("%.1f%%", 100 * *v) : std::string("-"); }

std::string evalLine(long long step, const run::HeldOutFigures& f)
{
    if (!f.error.empty()) return "eval @" + std::to_string(step) + ": " + f.error;
    const auto& v = f.verification;
    return "eval @" + std::to_string(step) + ": verification " + percent(v ? std::optional<double>(v->acc) : std::nullopt) + " (AUC " +
        (v ? fmt("%.3f", v->auc) : std::string("-")) + "), caricature id " + percent(f.caricatureAcc) + ", visual id " + percent(f.visualAcc);
}

}  // namespace

Progress::Progress(bool forcePlain) : tty_(!forcePlain && ::isatty(STDOUT_FILENO)) {}

void Progress::line(const std::string& text)
{
    if (liveLineOpen_) std::cout << "\r\033[K";
    liveLineOpen_ = false;
    std::cout << text << "\n" << std::flush;
}

bool Progress::show(const run::TrainerEvent& e, long long total)
{
    using K = run::TrainerEvent::Kind;
    switch (e.kind) {
    case K::Started: {
        const run::RunStarted& st = e.started();
        line("run " + st.runDir + ": " + std::to_string(st.trainImages) + " training / " + std::to_string(st.heldOutImages) + " held-out images, " +
             std::to_string(st.identities) + " identities, steps " + std::to_string(st.startStep) + " -> " + std::to_string(st.totalSteps));
        break;
    }
    case K::Metrics: {
        const run::StepRecord& r = e.stepRecord();
        const std::string stats =
            "loss v/c/p " + perTask("%.3f", r.loss) + "  w " + perTask("%.2f", r.weight) + "  " + fmt("%.0f", r.imagesPerS.value_or(0)) + " img/s";
        const auto now = std::chrono::steady_clock::now();
        if (tty_) {
            const int width = 24;
            const int filled = total > 0 ? static_cast<int>(width * e.step / total) : 0;
            std::string bar(filled, '#');
            bar.resize(width, '.');
            const double secsPerStep = r.timeS / static_cast<double>(std::max<long long>(1, e.step));
            std::cout << "\r\033[K[" << bar << "] " << e.step << "/" << total << "  " << stats << "  ETA "
                      << eta(secsPerStep * static_cast<double>(total - e.step)) << std::flush;
            liveLineOpen_ = true;
        } else if (e.step == total || lastPlainStep_ < 0 || now - lastPlain_ > std::chrono::seconds(2)) {
            line("step " + std::to_string(e.step) + "/" + std::to_string(total) + "  " + stats);
            lastPlain_ = now;
            lastPlainStep_ = e.step;
        }
        break;
    }
    case K::Eval: line(evalLine(e.step, e.heldOut().figures)); break;
    case K::Checkpoint:
        if (!tty_) line("checkpoint " + e.message);
        break;
    case K::Warning: line("warning: " + e.message); break;
    case K::StateChanged:
        if (e.state() == run::RunState::Paused || e.state() == run::RunState::Stopping) line(run::runStateName(e.state()));
        break;
    case K::Error:
        if (liveLineOpen_) std::cout << "\n";
        liveLineOpen_ = false;
        std::cerr << "carilab-cli train: error: " << e.message << "\n";
        return true;
    case K::Finished: line(std::string(run::runStateName(e.state())) + " at step " + std::to_string(e.step)); break;
    }
    return false;
}

void Progress::finish()
{
    if (liveLineOpen_) std::cout << "\n";
    liveLineOpen_ = false;
}

}  // namespace carilab::cli
