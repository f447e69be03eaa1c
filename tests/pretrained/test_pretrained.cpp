// The pretrained face descriptor: CariLab's TensorFlow.js manifest reader on hand-made manifests
// (every dtype, quantisation, two shards, each error naming its tensor), the network's layout
// against the package's own tensor list, and -- when `carilab-cli pretrained fetch` has put the
// model in the cache -- the C++ descriptor against face-api's own JavaScript run on the committed
// images (tests/pretrained/make_fixtures.js wrote the fixtures).
#include "data/image_decode.h"
#include "pretrained/face_recognition_net.h"
#include "pretrained/pretrained_store.h"
#include "pretrained/sha256.h"
#include "pretrained/tfjs_weights.h"
#include "test_support.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cmath>
#include <fstream>

#include <QtTest/QtTest>

using namespace carilab::pretrained;

namespace {

constexpr double kMinCosine = 0.999;  // the issue's parity bar for the descriptor

nlohmann::json readJson(const QString& path)
{
    std::ifstream in(path.toStdString());
    return nlohmann::json::parse(in);
}

void writeBytes(const QString& path, const std::vector<std::uint8_t>& bytes)
{
    std::ofstream out(path.toStdString(), std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

void writeText(const QString& path, const std::string& text)
{
    std::ofstream out(path.toStdString(), std::ios::binary);
    out << text;
}

template <typename T>
void append(std::vector<std::uint8_t>& bytes, std::initializer_list<T> values)
{
    for (T v : values) {
        const auto* p = reinterpret_cast<const std::uint8_t*>(&v);
        bytes.insert(bytes.end(), p, p + sizeof(T));
    }
}

double cosine(const std::vector<float>& a, const std::vector<float>& b)
{
    double ab = 0, aa = 0, bb = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        ab += static_cast<double>(a[i]) * b[i];
        aa += static_cast<double>(a[i]) * a[i];
        bb += static_cast<double>(b[i]) * b[i];
    }
    return ab / std::sqrt(aa * bb);
}

double maxAbsDiff(const std::vector<float>& a, const std::vector<float>& b)
{
    double m = 0;
    for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(static_cast<double>(a[i]) - b[i]));
    return m;
}

// The tensors face-api's manifest holds (from the fixture), as a TfjsWeightMap of random values.
TfjsWeightMap randomWeightsLike(const nlohmann::json& reference)
{
    TfjsWeightMap w;
    for (const auto& t : reference["tensors"])
        w.insert(t["name"].get<std::string>(), torch::randn(t["shape"].get<std::vector<std::int64_t>>()) * 0.05);
    return w;
}

}  // namespace

class TestPretrained final : public QObject {
    Q_OBJECT

public:
    TestPretrained() = default;
    Q_DISABLE_COPY_MOVE(TestPretrained)

private:
    QTemporaryDir tmp_;
    QString fixtures_;
    std::string manifest_;  // the fetched face_recognition_model, or "" (then why in missing_)
    QString missing_;

    // A manifest file in its own folder; returns its path.
    QString writeManifest(const QString& name, const nlohmann::json& manifest)
    {
        const QString dir = tmp_.filePath(name);
        QDir().mkpath(dir);
        writeText(dir + "/m-weights_manifest.json", manifest.dump());
        return dir + "/m-weights_manifest.json";
    }

    // Runs readTfjsWeights and returns the error text ("" when it did not throw).
    static QString readError(const QString& manifest)
    {
        try {
            readTfjsWeights(manifest.toStdString());
        } catch (const TfjsWeightsError& e) {
            return QString::fromStdString(e.what());
        }
        return {};
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(tmp_.isValid());
        fixtures_ = QFileInfo(QFINDTESTDATA("pretrained/descriptors.json")).absolutePath();
        QVERIFY2(!fixtures_.isEmpty(), "tests/pretrained/descriptors.json not found");
        torch::set_num_threads(2);
        try {
            manifest_ = requireModelManifest("face_recognition_model");
        } catch (const PretrainedMissing& e) {
            missing_ = QString::fromStdString(e.what());
        }
    }

    void sha256KnownVectors()
    {
        QCOMPARE(QString::fromStdString(sha256Hex("")), QStringLiteral("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
        QCOMPARE(QString::fromStdString(sha256Hex("abc")), QStringLiteral("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
        // 56 bytes: the padding spills into a second block.
        QCOMPARE(QString::fromStdString(sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
                 QStringLiteral("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
        // Fed in odd pieces across block boundaries: same as in one go.
        std::string big(1000, '\0');
        for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7 + 3);
        Sha256 h;
        for (size_t at = 0, step = 1; at < big.size(); at += step, step = step * 2 + 1) h.update(big.data() + at, std::min(step, big.size() - at));
        QCOMPARE(h.hexDigest(), sha256Hex(big));
    }

    void float32Int32Bool()
    {
        std::vector<std::uint8_t> bin;
        append<float>(bin, {1.5f, -2.25f, 3.0f, 1e-7f, -0.0f, 65504.0f});
        append<std::int32_t>(bin, {-7, 2147483647});
        append<std::uint8_t>(bin, {1, 0, 2});
        const QString m = writeManifest("plain",
                                        nlohmann::json::array({{{"paths", {"w.bin"}},
                                                                {"weights",
                                                                 {{{"name", "a"}, {"shape", {2, 3}}, {"dtype", "float32"}},
                                                                  {{"name", "b"}, {"shape", {2}}, {"dtype", "int32"}},
                                                                  {{"name", "c"}, {"shape", {3}}, {"dtype", "bool"}}}}}}));
        writeBytes(QFileInfo(m).absolutePath() + "/w.bin", bin);
        const auto w = readTfjsWeights(m.toStdString());
        QCOMPARE(int(w.size()), 3);
        QCOMPARE(w.names(), (std::vector<std::string>{"a", "b", "c"}));
        const auto a = w.at("a", {2, 3});
        QCOMPARE(a.scalar_type(), torch::kFloat32);
        QCOMPARE(a[0][1].item<float>(), -2.25f);
        QCOMPARE(a[1][0].item<float>(), 1e-7f);
        QCOMPARE(a[1][2].item<float>(), 65504.0f);
        QCOMPARE(w.at("b").scalar_type(), torch::kInt32);
        QCOMPARE(w.at("b")[1].item<std::int32_t>(), 2147483647);
        QCOMPARE(w.at("c").scalar_type(), torch::kBool);
        QCOMPARE(w.at("c")[2].item<bool>(), true);
        QCOMPARE(w.numel(), std::int64_t(11));
    }

    void quantised()
    {
        // uint8: value = q*scale + min, computed in double and stored as float32.
        // q = 0, 1, 128, 255 with scale 0.5, min -1  ->  -1, -0.5, 63, 126.5
        // uint16: q = 0, 1000, 65535 with scale 0.001, min 2  ->  2, 3, 67.535
        // int32 from uint8 (rounded half up like Math.round): q = 2, 6, 1, scale 0.25, min -1
        //   -> -0.5 -> 0, 0.5 -> 1, -0.75 -> -1
        // float16: 0x3C00 = 1, 0xC000 = -2, 0x3555 = 0.333251953125
        std::vector<std::uint8_t> bin;
        append<std::uint8_t>(bin, {0, 1, 128, 255});
        append<std::uint16_t>(bin, {0, 1000, 65535});
        append<std::uint8_t>(bin, {2, 6, 1});
        append<std::uint16_t>(bin, {0x3C00, 0xC000, 0x3555});
        const QString m = writeManifest(
            "quant",
            nlohmann::json::array(
                {{{"paths", {"q.bin"}},
                  {"weights",
                   {{{"name", "u8"}, {"shape", {2, 2}}, {"dtype", "float32"}, {"quantization", {{"dtype", "uint8"}, {"scale", 0.5}, {"min", -1.0}}}},
                    {{"name", "u16"}, {"shape", {3}}, {"dtype", "float32"}, {"quantization", {{"dtype", "uint16"}, {"scale", 0.001}, {"min", 2.0}}}},
                    {{"name", "i32"}, {"shape", {3}}, {"dtype", "int32"}, {"quantization", {{"dtype", "uint8"}, {"scale", 0.25}, {"min", -1.0}}}},
                    {{"name", "f16"}, {"shape", {3}}, {"dtype", "float32"}, {"quantization", {{"dtype", "float16"}}}}}}}}));
        writeBytes(QFileInfo(m).absolutePath() + "/q.bin", bin);
        const auto w = readTfjsWeights(m.toStdString());
        const auto u8 = w.at("u8", {2, 2}).flatten();
        QCOMPARE(u8[0].item<float>(), -1.0f);
        QCOMPARE(u8[1].item<float>(), -0.5f);
        QCOMPARE(u8[2].item<float>(), 63.0f);
        QCOMPARE(u8[3].item<float>(), 126.5f);
        const auto u16 = w.at("u16");
        QCOMPARE(u16[0].item<float>(), 2.0f);
        QCOMPARE(u16[1].item<float>(), float(1000 * 0.001 + 2.0));
        QCOMPARE(u16[2].item<float>(), float(65535 * 0.001 + 2.0));
        const auto i32 = w.at("i32");
        QCOMPARE(i32.scalar_type(), torch::kInt32);
        QCOMPARE(i32[0].item<std::int32_t>(), 0);
        QCOMPARE(i32[1].item<std::int32_t>(), 1);
        QCOMPARE(i32[2].item<std::int32_t>(), -1);
        const auto f16 = w.at("f16");
        QCOMPARE(f16[0].item<float>(), 1.0f);
        QCOMPARE(f16[1].item<float>(), -2.0f);
        QCOMPARE(f16[2].item<float>(), 0.333251953125f);
    }

    void twoShards()
    {
        // "x" (3 floats, 12 bytes) then "y" (4 uint8): shard 1 holds 10 bytes, so x straddles it.
        std::vector<std::uint8_t> all;
        append<float>(all, {0.25f, -4.0f, 8.5f});
        append<std::uint8_t>(all, {10, 20, 30, 40});
        const QString m = writeManifest(
            "shards",
            nlohmann::json::array(
                {{{"paths", {"s-shard1of2", "s-shard2of2"}},
                  {"weights",
                   {{{"name", "x"}, {"shape", {3}}, {"dtype", "float32"}},
                    {{"name", "y"}, {"shape", {4}}, {"dtype", "float32"}, {"quantization", {{"dtype", "uint8"}, {"scale", 0.1}, {"min", 0.0}}}}}}}}));
        const QString dir = QFileInfo(m).absolutePath();
        writeBytes(dir + "/s-shard1of2", std::vector<std::uint8_t>(all.begin(), all.begin() + 10));
        writeBytes(dir + "/s-shard2of2", std::vector<std::uint8_t>(all.begin() + 10, all.end()));
        const auto w = readTfjsWeights(m.toStdString());
        QCOMPARE(w.at("x")[2].item<float>(), 8.5f);
        QCOMPARE(w.at("y")[3].item<float>(), float(40 * 0.1));

        // Without the second shard: the error names the tensor that needs it.
        QFile::remove(dir + "/s-shard2of2");
        const QString e = readError(m);
        QVERIFY2(e.contains("s-shard2of2") && e.contains("'x'"), qPrintable(e));
    }

    void errorsNameTheTensor_data()
    {
        QTest::addColumn<QString>("weights");  // the group's "weights" array
        QTest::addColumn<int>("binBytes");
        QTest::addColumn<QString>("expected");  // substrings, '|'-separated
        const QString f = R"({"name":"first","shape":[2],"dtype":"float32"})";
        QTest::newRow("short data") << "[" + f + R"(,{"name":"conv/filters","shape":[3,3],"dtype":"float32"}])" << 8 + 20
                                    << "'conv/filters'|needs 36 bytes|ends at 28";
        QTest::newRow("bytes left over") << "[" + f + "]" << 12 << "4 bytes left over|'first'";
        QTest::newRow("unknown dtype") << "[" + f + R"(,{"name":"strings","shape":[1],"dtype":"string"}])" << 12 << "'strings'|dtype 'string'";
        QTest::newRow("unknown quantisation") << R"([{"name":"q4","shape":[2],"dtype":"float32","quantization":{"dtype":"uint4","scale":1,"min":0}}])"
                                              << 2 << "'q4'|quantization dtype 'uint4'";
        QTest::newRow("quantisation without scale")
            << R"([{"name":"qs","shape":[2],"dtype":"float32","quantization":{"dtype":"uint8","min":0}}])" << 2 << "'qs'|scale and min";
        QTest::newRow("float16 of int32") << R"([{"name":"h","shape":[2],"dtype":"int32","quantization":{"dtype":"float16"}}])" << 4 << "'h'|float16";
        QTest::newRow("bad shape") << R"([{"name":"neg","shape":[2,-1],"dtype":"float32"}])" << 0 << "'neg'|bad shape";
        QTest::newRow("duplicate") << "[" + f + "," + f + "]" << 16 << "'first'|twice";
    }
    void errorsNameTheTensor()
    {
        QFETCH(QString, weights);
        QFETCH(int, binBytes);
        QFETCH(QString, expected);
        const QString m = writeManifest(QStringLiteral("err-") + QTest::currentDataTag(),
                                        nlohmann::json::array({{{"paths", {"e.bin"}}, {"weights", nlohmann::json::parse(weights.toStdString())}}}));
        writeBytes(QFileInfo(m).absolutePath() + "/e.bin", std::vector<std::uint8_t>(static_cast<size_t>(binBytes), 0));
        const QString e = readError(m);
        QVERIFY2(!e.isEmpty(), "no error");
        for (const auto& part : expected.split('|')) QVERIFY2(e.contains(part), qPrintable(e + "\n  lacks: " + part));
    }

    void lookupErrors()
    {
        TfjsWeightMap w;
        w.insert("fc", torch::zeros({256, 128}));
        try {
            w.at("conv32_down/conv/bias");
            QFAIL("no error for a missing tensor");
        } catch (const TfjsWeightsError& e) {
            QVERIFY2(QString(e.what()).contains("'conv32_down/conv/bias' is missing"), e.what());
        }
        try {
            w.at("fc", {128, 256});
            QFAIL("no error for a wrong shape");
        } catch (const TfjsWeightsError& e) {
            QVERIFY2(QString(e.what()).contains("'fc' has shape [256,128], expected [128,256]"), e.what());
        }
        // The network refuses a weight map missing a tensor, naming it.
        FaceRecognitionNet net;
        try {
            net->load(w);
            QFAIL("loaded an incomplete weight map");
        } catch (const TfjsWeightsError& e) {
            QVERIFY2(QString(e.what()).contains("conv32_down/conv/filters"), e.what());
        }
    }

    // The network's parameters are exactly the package's 117 tensors (no more, no fewer values),
    // loads them by name and shape, and maps 150x150 to 128 values. Needs no download.
    void layoutMatchesThePackage()
    {
        const auto reference = readJson(fixtures_ + "/weights_reference.json");
        QCOMPARE(int(reference["tensors"].size()), 117);
        std::int64_t values = 0;
        for (const auto& t : reference["tensors"]) {
            std::int64_t n = 1;
            for (auto d : t["shape"]) n *= d.get<std::int64_t>();
            values += n;
        }
        FaceRecognitionNet net;
        std::int64_t params = 0;
        for (const auto& p : net->parameters()) params += p.numel();
        QCOMPARE(params, values);
        QCOMPARE(int(net->parameters().size()), 117);

        const auto w = randomWeightsLike(reference);
        net->load(w);
        // Filters were permuted from [h,w,in,out] to [out,in,h,w].
        const auto& f = w.at("conv64_down/conv1/conv/filters");  // [3,3,32,64]
        const auto named = net->named_parameters();
        const auto& conv = named["conv64_down.conv1.conv.weight"];
        QCOMPARE(conv.sizes().vec(), (std::vector<std::int64_t>{64, 32, 3, 3}));
        QCOMPARE(conv[5][7][2][1].item<float>(), f[2][1][7][5].item<float>());
        QVERIFY(torch::equal(named["fc"], w.at("fc")));

        net->eval();
        torch::NoGradGuard noGrad;
        const auto out = net->computeDescriptors(torch::randint(0, 256, {2, 150, 150, 3}, torch::kUInt8));
        QCOMPARE(out.sizes().vec(), (std::vector<std::int64_t>{2, 128}));
        QVERIFY(torch::isfinite(out).all().item<bool>());
    }

    // CariLab's reader decodes the real manifest exactly as tf.io.decodeWeights did.
    void realWeightsMatchTfjsDecode()
    {
        if (manifest_.empty()) QSKIP(qPrintable(missing_));
        const auto reference = readJson(fixtures_ + "/weights_reference.json");
        const auto w = readTfjsWeights(manifest_);
        QCOMPARE(int(w.size()), int(reference["tensors"].size()));
        for (const auto& t : reference["tensors"]) {
            const auto name = t["name"].get<std::string>();
            const auto& x = w.at(name, t["shape"].get<std::vector<std::int64_t>>());
            const auto flat = x.flatten();
            const auto first = t["first"].get<std::vector<double>>();
            for (size_t i = 0; i < first.size(); ++i)
                QVERIFY2(flat[long(i)].item<float>() == float(first[i]), qPrintable(QString::fromStdString(name)));
            const double sum = flat.to(torch::kFloat64).sum().item<double>(), want = t["sum"].get<double>();
            QVERIFY2(std::abs(sum - want) <= 1e-6 * std::max(1.0, std::abs(want)),
                     qPrintable(QString("%1: sum %2 vs %3").arg(QString::fromStdString(name)).arg(sum, 0, 'g', 12).arg(want, 0, 'g', 12)));
        }
    }

    // The descriptor of every committed image against face-api's own output.
    void descriptorParity()
    {
        if (manifest_.empty()) QSKIP(qPrintable(missing_));
        const auto fixtures = readJson(fixtures_ + "/descriptors.json");
        auto net = loadFaceRecognitionNet(manifest_);
        QVERIFY(fixtures["descriptors"].size() >= 3);
        double worstCos = 1, worstDiff = 0;
        for (const auto& f : fixtures["descriptors"]) {
            const QString image = fixtures_ + "/images/" + QString::fromStdString(f["image"].get<std::string>());
            QCOMPARE(QString::fromStdString(sha256File(image.toStdString())), QString::fromStdString(f["sha256"].get<std::string>()));
            const auto rgb = carilab::data::decodeImageRgb8(image.toStdString());
            net->computeDescriptor(rgb);  // warm-up
            QElapsedTimer timer;
            timer.start();
            const auto d = net->computeDescriptor(rgb);
            const qint64 ms = timer.elapsed();
            const auto want = f["descriptor"].get<std::vector<float>>();
            QCOMPARE(d.size(), size_t(kFaceDescriptorDim));
            QCOMPARE(want.size(), size_t(kFaceDescriptorDim));
            const double cos = cosine(d, want), diff = maxAbsDiff(d, want);
            qInfo("%s: cosine %.9f (1 - cosine %.2g), max |diff| %.3g, %lld ms", qPrintable(QFileInfo(image).fileName()), cos, 1 - cos, diff, ms);
            QVERIFY2(cos >= kMinCosine, qPrintable(QString("%1: cosine %2").arg(image).arg(cos, 0, 'f', 9)));
            worstCos = std::min(worstCos, cos);
            worstDiff = std::max(worstDiff, diff);
        }
        qInfo("worst cosine %.9f (1 - cosine %.2g), worst max |diff| %.3g over %d images", worstCos, 1 - worstCos, worstDiff,
              static_cast<int>(fixtures["descriptors"].size()));
        // Batched = one by one.
        std::vector<torch::Tensor> faces;
        for (const auto& f : fixtures["descriptors"])
            faces.push_back(
                torch::from_blob(carilab::data::decodeImageRgb8((fixtures_ + "/images/").toStdString() + f["image"].get<std::string>()).data,
                                 {150, 150, 3}, torch::kUInt8)
                    .clone());
        const auto batch = net->computeDescriptors(torch::stack(faces));
        for (size_t i = 0; i < faces.size(); ++i) {
            const auto want = fixtures["descriptors"][i]["descriptor"].get<std::vector<float>>();
            const auto row = batch[static_cast<long>(i)].contiguous();
            QVERIFY(cosine({row.data_ptr<float>(), row.data_ptr<float>() + 128}, want) >= kMinCosine);
        }
    }

    void cliEmbed()
    {
        // Without --pretrained: a usage error.
        const QString image = fixtures_ + "/images/carisynth_id_0001_p_01.png";
        auto r = carilab::test::runCli({"embed", "--image", image});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("--pretrained"), qPrintable(r.err));
        r = carilab::test::runCli({"embed", "--help"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains("--align auto") && r.out.contains("to 150x150"), qPrintable(r.out));

        if (manifest_.empty()) QSKIP(qPrintable(missing_));
        r = carilab::test::runCli({"embed", "--pretrained", "face-resnet", "--image", image, "--align", "none", "--json"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const auto out = nlohmann::json::parse(r.out.toStdString());
        QVERIFY(out.is_array());
        QCOMPARE(int(out.size()), 128);
        const auto fixtures = readJson(fixtures_ + "/descriptors.json");
        for (const auto& f : fixtures["descriptors"])
            if (f["image"] == "carisynth_id_0001_p_01.png")
                QVERIFY(cosine(out.get<std::vector<float>>(), f["descriptor"].get<std::vector<float>>()) >= kMinCosine);

        // An image of another size (a 128 px CariSynth JPEG) is resized whole: still 128 values.
        const QString synth = tmp_.filePath("synth");
        r = carilab::test::runCli({"synth", "--out", synth, "--identities", "2", "--photos", "1", "--caricatures", "1"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QString jpeg = synth + "/id_0001/photo/id_0001_p_01.jpg";
        QVERIFY(QFileInfo::exists(jpeg));
        r = carilab::test::runCli({"embed", "--pretrained", "face-resnet", "--image", jpeg, "--align", "none", "--json"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(int(nlohmann::json::parse(r.out.toStdString()).size()), 128);
        r = carilab::test::runCli({"embed", "--pretrained", "face-resnet", "--image", jpeg, "--align", "none"});
        QVERIFY2(r.exitCode == 0 && r.out.contains("128x128, resized whole to 150x150"), qPrintable(r.out + r.err));
    }

    // An empty cache: list and embed say where they looked and what to run; a tarball that is
    // not the pinned one is refused before anything is extracted.
    void cliWithoutTheFiles()
    {
        const QString empty = tmp_.filePath("empty-cache");
        const QByteArray before = qgetenv("CARILAB_PRETRAINED_DIR");
        const bool wasSet = qEnvironmentVariableIsSet("CARILAB_PRETRAINED_DIR");
        qputenv("CARILAB_PRETRAINED_DIR", empty.toUtf8());
        auto restore = qScopeGuard([&] { wasSet ? qputenv("CARILAB_PRETRAINED_DIR", before) : qunsetenv("CARILAB_PRETRAINED_DIR"); });

        auto r = carilab::test::runCli({"pretrained", "list"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.out.contains(empty) && r.out.contains("not fetched") && r.out.contains("pretrained fetch"), qPrintable(r.out));

        r = carilab::test::runCli(
            {"embed", "--pretrained", "face-resnet", "--image", fixtures_ + "/images/carisynth_id_0001_p_01.png", "--align", "none"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(empty + "/face-api-1.7.15/model/face_recognition_model-weights_manifest.json") &&
                     r.err.contains("carilab-cli pretrained fetch"),
                 qPrintable(r.err));

        const QString bogus = tmp_.filePath("bogus.tgz");
        writeText(bogus, "not the package");
        r = carilab::test::runCli({"pretrained", "fetch", "--tarball", bogus});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("does not match the pinned 0d77fffeef362ef9"), qPrintable(r.err));
        QVERIFY(!QFileInfo::exists(empty + "/face-api-1.7.15"));
        QVERIFY2(QDir(empty).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden).isEmpty(), "temporary files left behind");
    }
};

QTEST_GUILESS_MAIN(TestPretrained)
#include "test_pretrained.moc"
