#pragma once
// What a gui-tier test sees of a thumbnail grid. Shared by test_dataset_browser and
// test_screenshots.
#include <QAbstractItemModel>
#include <QList>
#include <QListView>

// Rows of the grid whose item rectangle is inside the viewport.
inline QList<int> visibleRows(QListView* view)
{
    QList<int> rows;
    const QRect vp = view->viewport()->rect();
    for (int r = 0; r < view->model()->rowCount(); ++r)
        if (vp.intersects(view->visualRect(view->model()->index(r, 0)))) rows << r;
    return rows;
}
