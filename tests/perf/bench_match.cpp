// Benchmark: one query against a cached 12 000-image gallery (CaVI's size): detection, crop,
// embedding and ranking, for each backbone. The bar for `tiny`: under 100 ms.
#include "data/carisynth.h"
#include "data/image_decode.h"
#include "match/matcher.h"
#include "run/trainer.h"

#include <opencv2/imgproc.hpp>

#include <QtTest/QtTest>

using namespace carilab;

class BenchMatch : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    cv::Mat query_;

private Q_SLOTS:
    void initTestCase()
    {
        run::Trainer::configureThreads(0);
        data::CariSynthOptions o;
        o.identities = 2;
        o.photosPerIdentity = 1;
        o.caricaturesPerIdentity = 1;
        o.size = 128;
        data::generateCariSynth((tmp_.path() + "/s").toStdString(), o);
        // A dropped photo is bigger than a dataset crop: 400 px.
        cv::resize(data::decodeImageRgb8((tmp_.path() + "/s/id_0001/photo/id_0001_p_01.jpg").toStdString()), query_, cv::Size(400, 400));
    }

    void queryAgainstCachedGallery_data()
    {
        QTest::addColumn<QString>("backbone");
        QTest::addColumn<bool>("detect");
        QTest::newRow("tiny, detection") << "tiny" << true;
        QTest::newRow("tiny, whole image") << "tiny" << false;
        QTest::newRow("inception-resnet-v1, detection") << "inception-resnet-v1" << true;
    }
    void queryAgainstCachedGallery()
    {
        QFETCH(QString, backbone);
        QFETCH(bool, detect);
        run::RunModel model;
        nn::MultiTaskOptions mo;
        mo.backbone = backbone.toStdString();
        mo.numClasses = 200;
        model.net = nn::MultiTaskNet(mo);
        model.net->eval();
        model.pipeline.size = static_cast<int>(model.net->info().inputSize);
        const int n = 12000;
        match::Gallery g;
        g.index.root = "/gallery";
        g.index.identities.resize(200);
        for (int i = 0; i < n; ++i) {
            data::ImageRecord r;
            r.path = "img" + std::to_string(i) + ".jpg";
            r.identity = i % 200;
            g.index.images.push_back(r);
            g.images.push_back(i);
        }
        const auto dim = model.net->embed(torch::zeros({1, 3, model.pipeline.size, model.pipeline.size})).size(1);
        g.embeddings = torch::nn::functional::normalize(torch::randn({n, dim}), torch::nn::functional::NormalizeFuncOptions().dim(1));
        match::FaceFinder finder;  // face-api when fetched, else the Haar cascade
        match::QueryOptions q;
        q.detect = detect;
        q.top = 20;
        match::MatchResult r;
        QBENCHMARK { r = match::matchQuery(model, g, query_, q, &finder); }
        QCOMPARE(static_cast<int>(r.hits.size()), 20);
        qInfo("%s (%s): detect %.1f ms, embed %.1f ms, rank %.1f ms (last iteration), crop: %s", qPrintable(backbone), finder.detectorName().c_str(),
              r.detectMs, r.embedMs, r.rankMs, match::queryCropName(r.crop));
    }
};

QTEST_GUILESS_MAIN(BenchMatch)
#include "bench_match.moc"
