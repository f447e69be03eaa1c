#!/usr/bin/env node
// Regenerates the parity fixtures of tests/test_pretrained.cpp by running the reference
// implementation: @vladmandic/face-api's own FaceRecognitionNet on TensorFlow.js's CPU backend.
//
//   node tests/pretrained/make_fixtures.js            # from the repository root
//
// It installs @vladmandic/face-api@1.7.15, @tensorflow/tfjs@4, @tensorflow/tfjs-backend-wasm@4
// and pngjs into a temporary folder (or reuses FIXTURE_NODE_DIR if set and already installed),
// reads the package's own model/face_recognition_model weights, and writes next to this script:
//   descriptors.json   the 128-d descriptor of every images/*.png (150x150 RGB)
//   weights_reference.json   per tensor of the manifest: shape, first values and sum as decoded
//                            by tf.io.decodeWeights (checks CariLab's manifest reader)
// The committed fixtures let the C++ test suite run without Node.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const crypto = require('crypto');
const { execFileSync } = require('child_process');

const kPackages = ['@vladmandic/face-api@1.7.15', '@tensorflow/tfjs@4', '@tensorflow/tfjs-backend-wasm@4', 'pngjs@7'];
const kModel = 'face_recognition_model';
const kInput = 150;
const here = __dirname;

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
}

main().catch((e) => { console.error(e); process.exit(1); });
