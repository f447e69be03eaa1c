#include "run/user_message.h"

#include <c10/util/Exception.h>

namespace carilab::run {

std::string userMessage(const std::exception& e, int batch)
{
    const auto* torchError = dynamic_cast<const c10::Error*>(&e);
    std::string msg = torchError ? torchError->what_without_backtrace() : e.what();
    if (batch > 0 && (msg.find("can't allocate memory") != std::string::npos || msg.find("out of memory") != std::string::npos))
        msg = "not enough memory for a batch of " + std::to_string(batch) + " images (" + msg.substr(0, msg.find('\n')) + "); try a smaller --batch";
    return msg;
}

}  // namespace carilab::run
