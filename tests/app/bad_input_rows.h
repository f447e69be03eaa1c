#pragma once
// What the bad-input rows share: a row is a name and a check run in a fresh temporary folder;
// the checks assert the exact outcome with QtTest macros. test_bad_inputs.cpp runs them all.
#include <QtTest/QtTest>

#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

namespace carilab::test::bad {

using Check = std::function<void(const std::string& dir)>;
struct Row {
    const char* name;
    Check check;
};

// The message of the exception f throws; "" when it does not throw.
template <class F>
std::string messageOf(F&& f)
{
    try {
        f();
    } catch (const std::exception& e) {
        return e.what();
    }
    return {};
}

inline bool mentions(const std::string& text, std::initializer_list<std::string> parts)
{
    for (const auto& p : parts)
        if (text.find(p) == std::string::npos) return false;
    return true;
}

// Issue #19's rows about run folders: locks, stale status, checksums, dangerous folders.
std::vector<Row> runFolderRows();
// Issue #19's rows about the command line's inputs: non-regular files, bounds on numbers and work.
std::vector<Row> cliInputRows();

}  // namespace carilab::test::bad

#define VERIFY_MENTIONS(text, ...)                                                                                                                   \
    QVERIFY2(carilab::test::bad::mentions((text), {__VA_ARGS__}), qPrintable(QStringLiteral("message was: '%1'").arg(QString::fromStdString(text))))
