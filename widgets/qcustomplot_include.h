#pragma once
// QCustomPlot 2.1's header still uses the `signals` and `foreach` keywords, which the project
// turns off (QT_NO_KEYWORDS: torch has a member called slots()). Map them for this header only.
#define signals Q_SIGNALS
#define foreach Q_FOREACH
#include <qcustomplot.h>
#undef signals
#undef foreach
