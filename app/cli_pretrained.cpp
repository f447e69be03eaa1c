#include "cli_args.h"
#include "cli_commands.h"

#include "pretrained/pretrained_store.h"

#include <nlohmann/json.hpp>

#include <iostream>

namespace carilab::cli {

namespace {

int fetch(const Argv& argv)
{
    const auto& pkg = pretrained::faceApiPackage();
    Args a("pretrained fetch",
           "Fetch " + pkg.npmSpec + " (" + pkg.licence + ") with 'npm pack', check its SHA-256 against the pinned " + pkg.tarballSha256 +
               ", and extract its model/ files (and LICENSE) into " + pretrained::packageDir(pkg) +
               ". Does nothing when a verified copy is there. The folder follows $CARILAB_PRETRAINED_DIR, else "
               "$CARILAB_HOME/pretrained.");
    a.option("tarball", "FILE", "verify and extract this already downloaded .tgz instead of running npm pack")
        .flag("force", "fetch again even when a verified copy is present");
    if (!a.parse(argv)) return 0;
    pretrained::FetchOptions o;
    o.tarball = a.get("tarball", "");
    o.force = a.flagSet("force");
    o.log = [](const std::string& line) { std::cerr << "pretrained: " << line << "\n"; };
    const auto r = pretrained::fetchPackage(pkg, o);
    std::cout << (r.alreadyPresent ? "already present and verified: " : "fetched and verified: ") << r.dir << "\n";
    return 0;
}

int list(const Argv& argv)
{
    Args a("pretrained list", "Where the pretrained files are, and whether each still has the hash recorded when it was fetched.");
    a.flag("json", "print one JSON object");
    if (!a.parse(argv)) return 0;
    const auto& pkg = pretrained::faceApiPackage();
    const auto s = pretrained::inspectPackage(pkg);
    if (a.flagSet("json")) {
        nlohmann::json files = nlohmann::json::array();
        for (const auto& f : s.files) files.push_back({{"path", f.relPath}, {"size", f.size}, {"ok", f.ok}});
        nlohmann::json models = nlohmann::json::object();
        for (const auto& m : pkg.models) models[m] = pretrained::modelManifestPath(m, pkg);
        std::cout << nlohmann::json{{"root", pretrained::pretrainedRoot()},
                                    {"package", pkg.npmSpec},
                                    {"licence", pkg.licence},
                                    {"dir", s.dir},
                                    {"fetched", s.fetched},
                                    {"verified", s.verified},
                                    {"problem", s.problem},
                                    {"models", models},
                                    {"files", files}}
                         .dump(2)
                  << "\n";
        return s.verified ? 0 : 1;
    }
    std::cout << "pretrained folder: " << pretrained::pretrainedRoot() << "\n"
              << pkg.npmSpec << " (" << pkg.licence << "): " << (s.verified ? "verified" : s.problem) << "\n"
              << "  " << s.dir << "\n";
    if (!s.verified) {
        std::cout << "run 'carilab-cli pretrained fetch' to fetch it\n";
        return 1;
    }
    for (const auto& m : pkg.models) std::cout << "  " << m << ": " << pretrained::modelManifestPath(m, pkg) << "\n";
    std::uint64_t total = 0;
    for (const auto& f : s.files) total += f.size;
    std::cout << "  " << s.files.size() << " files, " << (total + 512 * 1024) / (1024 * 1024) << " MiB\n";
    return 0;
}

}  // namespace

int runPretrained(const Argv& argv)
{
    if (argv.empty() || argv[0] == "--help" || argv[0] == "-h") {
        std::cout << "usage: carilab-cli pretrained fetch [--tarball FILE] [--force]\n"
                     "       carilab-cli pretrained list [--json]\n\n"
                     "Pretrained face networks from the npm package "
                  << pretrained::faceApiPackage().npmSpec << " (MIT), kept in " << pretrained::pretrainedRoot()
                  << ".\nNothing is downloaded unless you run 'fetch' (packaging/quickstart.sh does it as part of the setup).\n";
        return argv.empty() ? 2 : 0;
    }
    const Argv rest(argv.begin() + 1, argv.end());
    if (argv[0] == "fetch") return fetch(rest);
    if (argv[0] == "list") return list(rest);
    throw UsageError("unknown pretrained subcommand '" + argv[0] + "' (expected: fetch, list)");
}

}  // namespace carilab::cli
