#pragma once
// Help › About CariLab: the versions of CariLab and of the libraries it runs with (Qt, LibTorch,
// OpenCV, the BLAS LibTorch calls), whether the pretrained face networks are fetched, and where
// the user guide is. "Copy" puts the same lines on the clipboard, for a bug report.
#include <QDialog>
#include <QIcon>
#include <QList>
#include <QPair>
#include <QString>

namespace carilab::widgets {

// The application icon, from the Qt resource made of resources/icons/carilab.svg.
QIcon applicationIcon();

class AboutDialog : public QDialog {
    Q_OBJECT

public:
    explicit AboutDialog(QWidget* parent = nullptr);
    // (what, version or state) in the order shown: CariLab, Qt, LibTorch, OpenCV, BLAS,
    // pretrained networks, user guide.
    static QList<QPair<QString, QString>> versionRows();
    // The rows as "what: value" lines, what Copy puts on the clipboard.
    QString versionText() const;

private:
    QList<QPair<QString, QString>> rows_;
};

}  // namespace carilab::widgets
