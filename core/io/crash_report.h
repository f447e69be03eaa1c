#pragma once
// A process that dies of a fatal signal (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT) or of
// std::terminate (an exception no one caught, on any thread) leaves a report instead of
// vanishing: <dir>/crash-<program>-<unix time>-<pid>.txt with what ended it, the program and
// its version, the exception's message or the Qt fatal message when there is one, and a
// backtrace; the same text goes to stderr. The process then ends as it would have (the signal's
// default action, so the exit status and a core dump are unchanged). The GUI shows reports it
// has not shown before at its next start (unseenCrashReports).
//
// Not installed under AddressSanitizer or ThreadSanitizer: they print reports of their own,
// which a handler of ours would replace.
#include <filesystem>
#include <string>
#include <vector>

namespace carilab::io {

// <userDataDir>/crash-reports
std::string defaultCrashReportDir();

// Installs the handlers (once per process; later calls change nothing). False when a sanitizer
// build leaves crashes to the sanitizer. The folder is made at the crash, when there is one;
// if it cannot be, the report still goes to stderr.
bool installCrashReporter(const std::string& dir, const std::string& program, const std::string& version);

// False in a sanitizer build (installCrashReporter then does nothing).
bool crashReporterAvailable();

// A note the report includes (the last Qt fatal message, say). Copied into a fixed buffer, so
// it is safe to call just before abort().
void setCrashNote(const std::string& note);

struct CrashReport {
    std::filesystem::path path;
    std::string summary;  // the report's first line: "carilab ended: SIGSEGV (segmentation fault)"
    std::filesystem::file_time_type written;
};

// Reports in dir newer than the last markCrashReportsSeen (all of them before the first), oldest
// first; an unreadable one is listed with its file name as the summary.
std::vector<CrashReport> unseenCrashReports(const std::string& dir);
void markCrashReportsSeen(const std::string& dir);

}  // namespace carilab::io
