#pragma once
// Where CariLab keeps per-user data (the demo dataset, runs) when the user names no folder.
#include <string>

namespace carilab::io {

// $CARILAB_HOME if set, else $XDG_DATA_HOME/carilab, else ~/.local/share/carilab.
std::string userDataDir();
std::string defaultDemoDatasetDir();  // <userDataDir>/datasets/carisynth-demo
std::string defaultRunsDir();  // <userDataDir>/runs

}  // namespace carilab::io
