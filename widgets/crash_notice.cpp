#include "crash_notice.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QMessageBox>

namespace carilab::widgets {

namespace {

QString when(const io::CrashReport& r)
{
    return QFileInfo(QString::fromStdString(r.path.string())).lastModified().toString(QStringLiteral("yyyy-MM-dd HH:mm"));
}

}  // namespace

QMessageBox* showCrashNotice(QWidget* parent, const std::vector<io::CrashReport>& reports)
{
    if (reports.empty()) return nullptr;
    const io::CrashReport& last = reports.back();
    QString text = QStringLiteral("CariLab ended unexpectedly on %1:\n%2").arg(when(last), QString::fromStdString(last.summary));
    if (reports.size() > 1) text += QStringLiteral("\n\n(%1 reports since this notice last appeared.)").arg(reports.size());
    QStringList files;
    for (const auto& r : reports) files << QStringLiteral("%1  %2").arg(when(r), QDir::toNativeSeparators(QString::fromStdString(r.path.string())));
    auto* box = new QMessageBox(QMessageBox::Warning, QStringLiteral("CariLab ended unexpectedly"), text, QMessageBox::Ok, parent);
    box->setInformativeText(QStringLiteral("The report (what ended it and a backtrace) is in the file below; please attach it to a bug "
                                           "report. Runs resume from their last checkpoint."));
    box->setDetailedText(files.join(QLatin1Char('\n')));
    box->setTextInteractionFlags(Qt::TextSelectableByMouse);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setWindowModality(Qt::WindowModal);
    box->open();
    return box;
}

}  // namespace carilab::widgets
