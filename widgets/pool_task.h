#pragma once
// QtConcurrent::run without linking QtConcurrent (one more Debian package): a QPromise whose
// work runs on Qt's global thread pool.
#include <QFuture>
#include <QPromise>
#include <QThreadPool>

#include <memory>

namespace carilab::widgets {

template <class F>
auto runInPool(F f) -> QFuture<decltype(f())>
{
    using T = decltype(f());
    auto promise = std::make_shared<QPromise<T>>();
    QFuture<T> future = promise->future();
    promise->start();
    QThreadPool::globalInstance()->start([promise, f]() mutable {
        promise->addResult(f());
        promise->finish();
    });
    return future;
}

}  // namespace carilab::widgets
