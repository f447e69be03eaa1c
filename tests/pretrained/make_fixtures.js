#!/usr/bin/env node
// Regenerates the parity fixtures of test_pretrained.cpp and test_face_pipeline.cpp (beside this
// script, in tests/pretrained/) by running the reference implementation: @vladmandic/face-api's
// own networks on TensorFlow.js's CPU backend.
//
//   node tests/pretrained/make_fixtures.js            # from the repository root
//
// It installs @vladmandic/face-api@1.7.15, @tensorflow/tfjs@4, @tensorflow/tfjs-backend-wasm@4
// pngjs and jpeg-js into a temporary folder (or reuses FIXTURE_NODE_DIR if set and already
// installed), reads the package's own model/ weights, and writes next to this script:
//   descriptors.json   the 128-d descriptor of every images/*.png (150x150 RGB)
//   weights_reference.json   per tensor of the manifest: shape, first values and sum as decoded
//                            by tf.io.decodeWeights (checks CariLab's manifest reader)
//   networks_reference.json  raw outputs of the TinyFaceDetector (input 416) and of
//                            FaceLandmark68Net (the whole image as the face crop) on images/*.png:
//                            the networks' parity, without any shared data
//   face_pipeline.json  on a few photos and caricatures of cavi-dev (CAVI_DEV_DIR, default
//                       ../shared/datasets/cavi-dev from the repository root; referenced by path,
//                       never copied): TinyFaceDetector boxes and scores, and the full pipeline
//                       detectAllFaces(TinyFaceDetectorOptions).withFaceLandmarks()
//                       .withFaceDescriptors(): 68 landmarks, aligned box, descriptor per face.
//                       JPEGs are decoded by ImageMagick (libjpeg, like OpenCV), else jpeg-js; the sha256 of the decoded RGB bytes is kept so
//                       the C++ test can tell whether its decoder produced the same pixels.
//   ssd_reference.json  SsdMobilenetv1 (input 512) on images/*.png: decoded boxes and scores of
//                       all 5118 anchors before non-maximum suppression (first two images), and
//                       locateFaces' detections with the default options (every image)
//   ssd_pipeline.json   face_pipeline.json's images and content, with the default detector:
//                       detectAllFaces(SsdMobilenetv1Options()) and .withFaceLandmarks()
//                       .withFaceDescriptors()
// The committed fixtures let the C++ test suite run without Node.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const crypto = require('crypto');
const { execFileSync } = require('child_process');

const kPackages = ['@vladmandic/face-api@1.7.15', '@tensorflow/tfjs@4', '@tensorflow/tfjs-backend-wasm@4', 'pngjs@7', 'jpeg-js@0.4'];
const kModel = 'face_recognition_model';
const kInput = 150;
const here = __dirname;
const kDetectorInput = 416;
// Photos and caricatures of cavi-dev, relative to it: varied sizes, one caricature that defeats
// the detector is fine (it checks the empty result).
const kPipelineImages = [
  'CaVI_Dataset/Real/Angela_Merkel/Angela_Merkel_r_0.jpg',
  'CaVI_Dataset/Real/Angela_Merkel/Angela_Merkel_r_11.jpg',
  'CaVI_Dataset/Real/Will_Smith/Will_Smith_r_1.jpg',
  'CaVI_Dataset/Real/jackie_chan/jackie_chan_r_0.jpg',
  'CaVI_Dataset/Real/morgan_freeman/morgan_freeman_r_0.jpg',
  'CaVI_Dataset/Real/Beyonce/Beyonce_r_0.jpg',
  'CaVI_Dataset/Caricature/Angela_Merkel/Angela_Merkel_c_0.jpg',
  'CaVI_Dataset/Caricature/Angela_Merkel/Angela_Merkel_c_1.jpg',
  'CaVI_Dataset/Caricature/mr_bean/mr_bean_c_0.jpg',
];

function installDir() {
  const dir = process.env.FIXTURE_NODE_DIR || fs.mkdtempSync(path.join(os.tmpdir(), 'carilab-face-api-'));
  if (!fs.existsSync(path.join(dir, 'node_modules', '@vladmandic', 'face-api'))) {
    fs.mkdirSync(dir, { recursive: true });
    if (!fs.existsSync(path.join(dir, 'package.json'))) fs.writeFileSync(path.join(dir, 'package.json'), '{"private":true}\n');
    console.error(`make_fixtures: npm install ${kPackages.join(' ')} into ${dir}`);
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--silent', ...kPackages], { cwd: dir, stdio: 'inherit' });
  }
  return dir;
}

function round(x) { return Number(x.toPrecision(9)); }

// Indented JSON with every array of numbers on one line.
function stringify(value) {
  return `${JSON.stringify(value, null, 1).replace(/\[[-0-9.e+,\s]*\]/g, (a) => a.replace(/\s+/g, ''))}\n`;
}

function loadWeightMap(tf, modelDir, model) {
  const manifest = JSON.parse(fs.readFileSync(path.join(modelDir, `${model}-weights_manifest.json`), 'utf8'));
  const buffer = Buffer.concat(manifest[0].paths.map((p) => fs.readFileSync(path.join(modelDir, p))));
  const arrayBuffer = buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength);
  return { manifest, weightMap: tf.io.decodeWeights(arrayBuffer, manifest[0].weights) };
}

function pngToTensor(tf, PNG, bytes) {
  const png = PNG.sync.read(bytes);
  const rgb = new Int32Array(png.width * png.height * 3);
  for (let i = 0; i < png.width * png.height; i++) for (let c = 0; c < 3; c++) rgb[3 * i + c] = png.data[4 * i + c];
  return tf.tensor3d(rgb, [png.height, png.width, 3], 'int32');
}

const rounded = (values) => Array.from(values, round);
const boxArray = (b) => [b.x, b.y, b.width, b.height].map(round);

// Raw network outputs on the committed images: no shared data needed to check the networks.
async function networkReference(faceapi, tf, PNG, detector, landmarkNet, images, about) {
  const out = [];
  for (const [i, name] of images.entries()) {
    const input = pngToTensor(tf, PNG, fs.readFileSync(path.join(here, 'images', name)));
    const lm = landmarkNet.runNet(await faceapi.toNetInput(input));
    const entry = { image: name, landmarks_raw: rounded(lm.dataSync()) };
    // 4225 values a grid: two images are enough to pin the detector down.
    if (i < 2) {
      const det = await detector.forward(input, kDetectorInput);
      Object.assign(entry, { detector_shape: det.shape, detector: rounded(det.dataSync()) });
      det.dispose();
    }
    out.push(entry);
    lm.dispose();
    input.dispose();
  }
  fs.writeFileSync(path.join(here, 'networks_reference.json'), stringify({
    ...about,
    model: 'tiny_face_detector_model, face_landmark_68_model',
    input: `images/*.png; detector (first two images): TinyFaceDetector.forward(image, ${kDetectorInput}), [1, 13, 13, 25] NHWC flattened; `
      + 'landmarks_raw: FaceLandmark68Net.runNet(image as the face crop), [1, 136] before mapping back to pixels',
    images: out,
  }));
  console.error(`make_fixtures: raw detector and landmark outputs of ${out.length} images`);
}

// ImageMagick decodes JPEGs with libjpeg, as CariLab's OpenCV does, so both sides see the same
// pixels; jpeg-js (a different IDCT) is the fallback and moves landmarks by up to ~2 px.
let decoderUsed = '';
function decodeRgb(jpeg, file) {
  try {
    const size = execFileSync('identify', ['-format', '%w %h', file]).toString().trim().split(' ').map(Number);
    const data = execFileSync('convert', [file, '-depth', '8', 'rgb:-'], { maxBuffer: 1 << 28 });
    if (data.length === size[0] * size[1] * 3) {
      decoderUsed = 'ImageMagick convert (libjpeg)';
      return { width: size[0], height: size[1], data: new Uint8Array(data) };
    }
  } catch (e) { /* fall through to jpeg-js */ }
  decoderUsed = 'jpeg-js 0.4';
  return jpeg.decode(fs.readFileSync(file), { useTArray: true, formatAsRGBA: false });
}

// The SSD detector's decoded outputs before non-maximum suppression, and its detections.
async function ssdReference(faceapi, tf, PNG, ssd, images, about) {
  const out = [];
  const seven = (values) => Array.from(values, (x) => Number(x.toPrecision(7)));
  for (const [i, name] of images.entries()) {
    const input = pngToTensor(tf, PNG, fs.readFileSync(path.join(here, 'images', name)));
    const entry = { image: name };
    // 5118 boxes and scores an image: two images are enough to pin the network down.
    if (i < 2) {
      const { boxes, scores } = ssd.forwardInput(await faceapi.toNetInput(input));
      Object.assign(entry, { boxes_shape: boxes[0].shape, boxes: seven(boxes[0].dataSync()), scores: seven(scores[0].dataSync()) });
      tf.dispose([...boxes, ...scores]);
    }
    const dets = await ssd.locateFaces(input, new faceapi.SsdMobilenetv1Options());
    entry.detections = dets.map((d) => ({ box: boxArray(d.box), score: round(d.score) }));
    out.push(entry);
    input.dispose();
  }
  fs.writeFileSync(path.join(here, 'ssd_reference.json'), stringify({
    ...about,
    model: 'ssd_mobilenetv1_model',
    input: 'images/*.png; boxes/scores (first two images, 7 significant digits): SsdMobilenetv1.forwardInput(image) boxes[0] '
      + '[5118, 4] (top, left, bottom, right relative to the 512 input) and sigmoid scores[0] [5118], before non-maximum suppression; '
      + 'detections: locateFaces(image, SsdMobilenetv1Options()) in image pixels',
    images: out,
  }));
  console.error(`make_fixtures: SSD outputs of ${out.length} images`);
}

const kPipelines = {
  tiny: {
    file: 'face_pipeline.json',
    model: 'tiny_face_detector_model, face_landmark_68_model, face_recognition_model',
    options: (faceapi) => new faceapi.TinyFaceDetectorOptions({ inputSize: kDetectorInput, scoreThreshold: 0.5 }),
    detector: { input_size: kDetectorInput, score_threshold: 0.5 },
  },
  ssd: {
    file: 'ssd_pipeline.json',
    model: 'ssd_mobilenetv1_model, face_landmark_68_model, face_recognition_model',
    options: (faceapi) => new faceapi.SsdMobilenetv1Options(),
    detector: { name: 'SsdMobilenetv1', input_size: 512, min_confidence: 0.5, max_results: 100 },
  },
};

// The full pipeline on real faces (cavi-dev), with the detector `which` names in kPipelines.
async function pipelineReference(faceapi, tf, jpeg, about, which) {
  const spec = kPipelines[which];
  const root = process.env.CAVI_DEV_DIR || path.join(here, '..', '..', '..', 'shared', 'datasets', 'cavi-dev');
  if (!fs.existsSync(root)) {
    console.error(`make_fixtures: ${root} not found (set CAVI_DEV_DIR); ${spec.file} left as it is`);
    return;
  }
  const options = spec.options(faceapi);
  const images = [];
  for (const rel of kPipelineImages) {
    const raw = decodeRgb(jpeg, path.join(root, rel));
    const input = tf.tensor3d(Int32Array.from(raw.data), [raw.height, raw.width, 3], 'int32');
    const t0 = process.hrtime.bigint();
    const detections = await faceapi.detectAllFaces(input, options);
    const full = await faceapi.detectAllFaces(input, options).withFaceLandmarks().withFaceDescriptors();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    input.dispose();
    images.push({
      path: rel,
      width: raw.width,
      height: raw.height,
      rgb_sha256: crypto.createHash('sha256').update(Buffer.from(raw.data)).digest('hex'),
      detections: detections.map((d) => ({ box: boxArray(d.box), score: round(d.score) })),
      faces: full.map((f) => ({
        box: boxArray(f.detection.box),
        score: round(f.detection.score),
        landmarks: f.landmarks.positions.map((p) => [round(p.x), round(p.y)]),
        aligned_box: boxArray(f.landmarks.align(null, { useDlibAlignment: true })),
        descriptor: rounded(f.descriptor),
      })),
    });
    console.error(`make_fixtures: ${rel} ${raw.width}x${raw.height}: ${detections.length} detections, ${full.length} faces, ${ms.toFixed(0)} ms`);
  }
  fs.writeFileSync(path.join(here, spec.file), stringify({
    ...about,
    model: spec.model,
    dataset: 'cavi-dev (paths relative to it)',
    detector: spec.detector,
    decoder: decoderUsed,
    images,
  }));
}

async function main() {
  const dir = installDir();
  const req = (m) => require(path.join(dir, 'node_modules', m));
  const faceapi = req('@vladmandic/face-api/dist/face-api.node-wasm.js');
  const tf = faceapi.tf;
  const { PNG } = req('pngjs');
  await tf.setBackend('cpu');
  await tf.ready();

  const pkgDir = path.join(dir, 'node_modules', '@vladmandic', 'face-api');
  const modelDir = path.join(pkgDir, 'model');
  const manifest = JSON.parse(fs.readFileSync(path.join(modelDir, `${kModel}-weights_manifest.json`), 'utf8'));
  const buffer = Buffer.concat(manifest[0].paths.map((p) => fs.readFileSync(path.join(modelDir, p))));
  const arrayBuffer = buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength);
  const weightMap = tf.io.decodeWeights(arrayBuffer, manifest[0].weights);

  const tensors = manifest[0].weights.map((w) => {
    const values = weightMap[w.name].dataSync();
    let sum = 0;
    for (const v of values) sum += v;
    return { name: w.name, shape: w.shape, first: Array.from(values.slice(0, 4)), sum: round(sum) };
  });

  const net = new faceapi.FaceRecognitionNet();
  net.loadFromWeightMap(weightMap);

  const imagesDir = path.join(here, 'images');
  const images = fs.readdirSync(imagesDir).filter((f) => f.endsWith('.png')).sort();
  const descriptors = [];
  for (const name of images) {
    const bytes = fs.readFileSync(path.join(imagesDir, name));
    const png = PNG.sync.read(bytes);
    if (png.width !== kInput || png.height !== kInput) throw new Error(`${name}: ${png.width}x${png.height}, expected ${kInput}x${kInput}`);
    const rgb = new Int32Array(kInput * kInput * 3);
    for (let i = 0; i < kInput * kInput; i++) for (let c = 0; c < 3; c++) rgb[3 * i + c] = png.data[4 * i + c];
    const input = tf.tensor3d(rgb, [kInput, kInput, 3], 'int32');
    const t0 = process.hrtime.bigint();
    const d = await net.computeFaceDescriptor(input);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    input.dispose();
    console.error(`make_fixtures: ${name} ${ms.toFixed(0)} ms`);
    descriptors.push({ image: name, sha256: crypto.createHash('sha256').update(bytes).digest('hex'), descriptor: Array.from(d) });
  }

  const detector = new faceapi.TinyFaceDetector();
  detector.loadFromWeightMap(loadWeightMap(tf, modelDir, 'tiny_face_detector_model').weightMap);
  const landmarkNet = new faceapi.FaceLandmark68Net();
  landmarkNet.loadFromWeightMap(loadWeightMap(tf, modelDir, 'face_landmark_68_model').weightMap);
  // The global pipeline uses faceapi.nets: the same weights, loaded the same way.
  faceapi.nets.tinyFaceDetector.loadFromWeightMap(loadWeightMap(tf, modelDir, 'tiny_face_detector_model').weightMap);
  faceapi.nets.faceLandmark68Net.loadFromWeightMap(loadWeightMap(tf, modelDir, 'face_landmark_68_model').weightMap);
  faceapi.nets.faceRecognitionNet.loadFromWeightMap(loadWeightMap(tf, modelDir, kModel).weightMap);
  faceapi.nets.ssdMobilenetv1.loadFromWeightMap(loadWeightMap(tf, modelDir, 'ssd_mobilenetv1_model').weightMap);

  const faceApiVersion = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')).version;
  const about = {
    generator: 'tests/pretrained/make_fixtures.js',
    package: `@vladmandic/face-api@${faceApiVersion}`,
    tfjs: tf.version_core,
    backend: tf.getBackend(),
    model: kModel,
  };
  fs.writeFileSync(path.join(here, 'descriptors.json'), stringify({ ...about, input: 'images/*.png, 150x150 RGB, whole image', descriptors }));
  fs.writeFileSync(path.join(here, 'weights_reference.json'), stringify({ ...about, tensors }));
  console.error(`make_fixtures: ${descriptors.length} descriptors, ${tensors.length} tensors written to ${here}`);
  await networkReference(faceapi, tf, PNG, detector, landmarkNet, images, about);
  await pipelineReference(faceapi, tf, req('jpeg-js'), about, 'tiny');
  await ssdReference(faceapi, tf, PNG, faceapi.nets.ssdMobilenetv1, images, about);
  await pipelineReference(faceapi, tf, req('jpeg-js'), about, 'ssd');
}

main().catch((e) => { console.error(e); process.exit(1); });
