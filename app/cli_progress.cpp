#include "cli_progress.h"

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
    const long s = (long)seconds;
    char buf[32];
    if (s >= 3600)
        std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else
        std::snprintf(buf, sizeof buf, "%02ld:%02ld", s / 60, s % 60);
    return buf;
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
    case K::Started:
        line("run " + e.data.value("run_dir", std::string()) + ": " + std::to_string(e.data.value("train_images", 0)) + " training / " +
             std::to_string(e.data.value("test_images", 0)) + " held-out images, " + std::to_string(e.data.value("identities", 0)) +
             " identities, steps " + std::to_string(e.data.value("start_step", 0LL)) + " -> " + std::to_string(e.data.value("total_steps", 0LL)));
        break;
    case K::Metrics: {
        const auto& d = e.data;
        const double ips = d.value("images_per_s", 0.0);
        const auto& l = d["loss"];
        const auto& w = d["weight"];
        std::string stats = "loss v/c/p " + fmt("%.3f", l["verification"].get<double>()) + "/" + fmt("%.3f", l["caricature"].get<double>()) + "/" +
            fmt("%.3f", l["visual"].get<double>()) + "  w " + fmt("%.2f", w["verification"].get<double>()) + "/" +
            fmt("%.2f", w["caricature"].get<double>()) + "/" + fmt("%.2f", w["visual"].get<double>()) + "  " + fmt("%.0f", ips) + " img/s";
        const auto now = std::chrono::steady_clock::now();
        if (tty_) {
            const int width = 24;
            const int filled = total > 0 ? (int)(width * e.step / total) : 0;
            std::string bar(filled, '#');
            bar.resize(width, '.');
            const double secsPerStep = d.value("time_s", 0.0) / std::max<long long>(1, e.step);
            std::cout << "\r\033[K[" << bar << "] " << e.step << "/" << total << "  " << stats << "  ETA "
                      << eta(secsPerStep * (double)(total - e.step)) << std::flush;
            liveLineOpen_ = true;
        } else if (e.step == total || lastPlainStep_ < 0 || now - lastPlain_ > std::chrono::seconds(2)) {
            line("step " + std::to_string(e.step) + "/" + std::to_string(total) + "  " + stats);
            lastPlain_ = now;
            lastPlainStep_ = e.step;
        }
        break;
    }
    case K::Eval: {
        const auto& d = e.data;
        line("eval @" + std::to_string(e.step) + ": verification " + fmt("%.1f%%", 100 * d.value("verification_acc", 0.0)) + " (AUC " +
             fmt("%.3f", d.value("verification_auc", 0.0)) + "), caricature id " + fmt("%.1f%%", 100 * d.value("caricature_acc", 0.0)) +
             ", visual id " + fmt("%.1f%%", 100 * d.value("visual_acc", 0.0)));
        break;
    }
    case K::Checkpoint:
        if (!tty_) line("checkpoint " + e.message);
        break;
    case K::Warning: line("warning: " + e.message); break;
    case K::StateChanged:
        if (e.message == "paused" || e.message == "stopping") line(e.message);
        break;
    case K::Error:
        if (liveLineOpen_) std::cout << "\n";
        liveLineOpen_ = false;
        std::cerr << "carilab-cli train: error: " << e.message << "\n";
        return true;
    case K::Finished: line(e.data.value("state", std::string("finished")) + " at step " + std::to_string(e.step)); break;
    }
    return false;
}

void Progress::finish()
{
    if (liveLineOpen_) std::cout << "\n";
    liveLineOpen_ = false;
}

}  // namespace carilab::cli
