#pragma once
// Help › User guide: the installed documentation (README.md and docs/*.md, Markdown) in a window
// of its own, links between pages followed inside it, web links handed to the browser.
#include <QDialog>
#include <QString>

class QLabel;
class QTextBrowser;

namespace carilab::widgets {

// The folder holding the user guide's README.md: $CARILAB_DOC_DIR, else the installed
// <prefix>/share/doc/carilab next to the program, else the source tree the program was built
// from. Empty when none holds it (a package installed without its documentation).
QString userGuideDir();

class UserGuideWindow : public QDialog {
    Q_OBJECT

public:
    explicit UserGuideWindow(QWidget* parent = nullptr);
    // Shows <userGuideDir>/<page> (README.md, docs/command-line.md ...); false, with the reason
    // in the window, when the page is not there.
    bool showPage(const QString& page);
    QTextBrowser* browser() const { return browser_; }
    QString currentFile() const;

private:
    void follow(const QUrl& link);
    QTextBrowser* browser_;
    QLabel* where_;
};

}  // namespace carilab::widgets
