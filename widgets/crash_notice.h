#pragma once
// The GUI's side of core/io/crash_report.h: at start, the reports of earlier sessions that ended
// unexpectedly and have not been shown yet, in a window-modal box that names each report's file
// (what a bug report needs) and does not block the start.
#include "io/crash_report.h"

#include <vector>

class QMessageBox;
class QWidget;

namespace carilab::widgets {

// nullptr when there is nothing to show. The box is opened, not exec()ed; it deletes itself on close.
QMessageBox* showCrashNotice(QWidget* parent, const std::vector<io::CrashReport>& reports);

}  // namespace carilab::widgets
