#include "user_guide.h"

#include <QCoreApplication>
#include <QDesktopServices>
#include <QDir>
#include <QFileInfo>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QImage>
#include <QLabel>
#include <QScreen>
#include <QScrollBar>
#include <QTextBrowser>
#include <QToolButton>
#include <QUrl>
#include <QVBoxLayout>

namespace carilab::widgets {

namespace {

// The screenshots are 1600 px wide: shown at their own size they would need a scroll bar. Images
// wider than the page are scaled down to it when the page loads.
class GuideBrowser : public QTextBrowser {
public:
    QVariant loadResource(int type, const QUrl& name) override
    {
        QVariant r = QTextBrowser::loadResource(type, name);
        if (type != QTextDocument::ImageResource || !r.isValid()) return r;
        QImage image = r.userType() == QMetaType::QImage ? r.value<QImage>() : QImage::fromData(r.toByteArray());
        const int room = viewport()->width() - 2 * static_cast<int>(document()->documentMargin()) - verticalScrollBar()->sizeHint().width();
        if (image.isNull() || room < 100 || image.width() <= room) return r;
        return image.scaledToWidth(room, Qt::SmoothTransformation);
    }
};

bool holdsGuide(const QString& dir) { return !dir.isEmpty() && QFileInfo::exists(dir + QStringLiteral("/README.md")); }

}  // namespace

QString userGuideDir()
{
    const QString env = qEnvironmentVariable("CARILAB_DOC_DIR");
    if (holdsGuide(env)) return QDir(env).absolutePath();
    // <prefix>/bin/carilab -> <prefix>/share/doc/carilab (the package, or cmake --install)
    const QString installed = QDir::cleanPath(QCoreApplication::applicationDirPath() + QStringLiteral("/../share/doc/carilab"));
    if (holdsGuide(installed)) return installed;
#ifdef CARILAB_SOURCE_DIR
    // A program run from its build tree reads the guide from the sources.
    if (holdsGuide(QStringLiteral(CARILAB_SOURCE_DIR))) return QStringLiteral(CARILAB_SOURCE_DIR);
#endif
    return {};
}

UserGuideWindow::UserGuideWindow(QWidget* parent) : QDialog(parent)
{
    setWindowTitle(QStringLiteral("CariLab user guide"));
    browser_ = new GuideBrowser;
    browser_->setOpenLinks(false);
    connect(browser_, &QTextBrowser::anchorClicked, this, &UserGuideWindow::follow);
    where_ = new QLabel;
    where_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    where_->setWordWrap(true);

    auto* back = new QToolButton;
    back->setText(QStringLiteral("Back"));
    back->setShortcut(QKeySequence::Back);
    back->setEnabled(false);
    auto* forward = new QToolButton;
    forward->setText(QStringLiteral("Forward"));
    forward->setShortcut(QKeySequence::Forward);
    forward->setEnabled(false);
    auto* home = new QToolButton;
    home->setText(QStringLiteral("Contents"));
    auto* cli = new QToolButton;
    cli->setText(QStringLiteral("Command line"));
    connect(back, &QToolButton::clicked, browser_, &QTextBrowser::backward);
    connect(forward, &QToolButton::clicked, browser_, &QTextBrowser::forward);
    connect(browser_, &QTextBrowser::backwardAvailable, back, &QToolButton::setEnabled);
    connect(browser_, &QTextBrowser::forwardAvailable, forward, &QToolButton::setEnabled);
    connect(home, &QToolButton::clicked, this, [this] { showPage(QStringLiteral("README.md")); });
    connect(cli, &QToolButton::clicked, this, [this] { showPage(QStringLiteral("docs/command-line.md")); });
    connect(browser_, &QTextBrowser::sourceChanged, this, [this](const QUrl& url) { where_->setText(QDir::toNativeSeparators(url.toLocalFile())); });

    auto* bar = new QHBoxLayout;
    bar->addWidget(back);
    bar->addWidget(forward);
    bar->addWidget(home);
    bar->addWidget(cli);
    bar->addWidget(where_, 1);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(bar);
    layout->addWidget(browser_, 1);
    // A page's width for reading, never more than the screen offers (a 1024x700 laptop included).
    QSize size(900, 760);
    if (const QScreen* screen = QGuiApplication::primaryScreen()) size = size.boundedTo(screen->availableGeometry().size() * 0.92);
    resize(size);
}

QString UserGuideWindow::currentFile() const { return browser_->source().toLocalFile(); }

bool UserGuideWindow::showPage(const QString& page)
{
    const QString dir = userGuideDir();
    const QString file = dir.isEmpty() ? QString() : QDir(dir).filePath(page);
    if (file.isEmpty() || !QFileInfo::exists(file)) {
        browser_->setMarkdown(QStringLiteral("# The user guide is not installed\n\n"
                                             "CariLab looks for `README.md` in `$CARILAB_DOC_DIR`, then in `%1`. "
                                             "The Debian package installs it in `/usr/share/doc/carilab`.")
                                  .arg(QDir::cleanPath(QCoreApplication::applicationDirPath() + QStringLiteral("/../share/doc/carilab"))));
        where_->setText(QStringLiteral("not found: %1").arg(page));
        return false;
    }
    browser_->setSource(QUrl::fromLocalFile(file), QTextDocument::MarkdownResource);
    return true;
}

// Pages of the guide open here; web links, and files the guide only points at, in the desktop's
// own applications.
void UserGuideWindow::follow(const QUrl& link)
{
    const QUrl url = browser_->source().resolved(link);
    if (!url.isLocalFile()) {
        QDesktopServices::openUrl(url);
        return;
    }
    const QString file = url.toLocalFile();
    if (!QFileInfo::exists(file)) {
        where_->setText(QStringLiteral("not installed: %1").arg(QDir::toNativeSeparators(file)));
        return;
    }
    if (file.endsWith(QLatin1String(".md"), Qt::CaseInsensitive))
        browser_->setSource(url, QTextDocument::MarkdownResource);
    else
        QDesktopServices::openUrl(url);
}

}  // namespace carilab::widgets
