#pragma once
// The export dialog every figure and CSV export goes through: file, size and DPI, with the last
// folder and size remembered in QSettings (group "export"); and the status-bar confirmation.
#include <QDialog>
#include <QSize>

class QLabel;
class QLineEdit;
class QSpinBox;

namespace carilab::widgets {

class FigureExportDialog : public QDialog {
    Q_OBJECT

public:
    enum class Kind { Figure, Csv };  // Csv: the file only, no size row

    // suggestedFile: a bare name or a path; the remembered folder wins over the path's folder.
    // defaultSize and defaultDpi apply until the user has chosen a size once.
    FigureExportDialog(Kind kind, const QString& title, const QString& suggestedFile, QSize defaultSize = QSize(1600, 1000), int defaultDpi = 200,
                       QWidget* parent = nullptr);

    Kind kind() const { return kind_; }
    QString path() const;
    QString format() const;  // the suffix, lower case: png, pdf, svg or csv
    QSize pixelSize() const;
    int dpi() const;

    QLineEdit* pathEdit() const { return path_; }
    QSpinBox* widthBox() const { return width_; }
    QSpinBox* heightBox() const { return height_; }
    QSpinBox* dpiBox() const { return dpi_; }
    QLabel* errorLabel() const { return error_; }

    // Refuses an unknown suffix, an empty path or a missing folder and stays open; asks before
    // replacing an existing file.
    void accept() override;

private:
    void browse();
    void updateFormat();
    void remember() const;

    Kind kind_;
    QLineEdit* path_;
    QSpinBox* width_ = nullptr;
    QSpinBox* height_ = nullptr;
    QSpinBox* dpi_ = nullptr;
    QLabel* error_;
    QString confirmedPath_;  // chosen in Browse, whose file dialog already asked about replacing it
};

// "Exported <file> (<w>×<h>, <dpi> dpi)" for a few seconds in the status bar of from's main
// window; nothing when from is not inside a QMainWindow.
void announceExport(QWidget* from, const FigureExportDialog& done);

}  // namespace carilab::widgets
