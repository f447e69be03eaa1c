#!/usr/bin/env node
// Reference numbers of @vladmandic/face-api 1.7.15's own JavaScript pipeline on CaVI: the figures
// CariLab's LibTorch reimplementation of the same networks is compared with.
//
//   node bench/face_api_reference.js --dataset DIR --pairs FILE --detector ssd|tiny --out DIR
//        [--limit N] [--threads N] [--backend wasm|cpu] [--model DIR]
//   node bench/face_api_reference.js --report --pairs FILE --out DIR     # figures of a finished --out
//
// --dataset is the folder holding CaVI_Dataset/; --pairs a CaVI pair list (train-test-files/
// testing_1.txt: "<id> Caricature/<Name>\<file>.jpg <id> Real/<Name>\<file>.jpg <0|1>", names
// matched to the disk case-insensitively). Every distinct image of the list is decoded by
// ImageMagick (libjpeg, the pixels CariLab's OpenCV decoder gives; jpeg-js if convert is missing)
// and goes through face-api's full default pipeline
//   detectAllFaces(img, new SsdMobilenetv1Options() | new TinyFaceDetectorOptions())
//     .withFaceLandmarks().withFaceDescriptors()
// keeping the best-scoring face. An image without a face gets the descriptor of the whole image
// (faceRecognitionNet.computeFaceDescriptor: pad to square, resize to 150), found=0 in faces.csv.
// Written into --out, row by row (a killed run resumes where it stopped: images already in both
// descriptors.csv and faces.csv are skipped):
//   descriptors.csv   identity,modality,path,v0..v127   (path relative to --dataset, as on disk)
//   faces.csv         path,found,score,box_x,box_y,box_w,box_h,aligned_x,aligned_y,aligned_w,
//                     aligned_h,decoded_ok   (aligned: landmarks.align(null, {useDlibAlignment:
//                     true}), the box face-api crops for the descriptor)
//   pair_scores.csv   score,label in pair-list order; score = Euclidean distance (face-api's
//                     metric, lower = same person); "nan" when an image could not be decoded
//   pair_scores_cavi_seed1.csv   the same rows in the order carilab-cli eval --protocol cavi
//                     --seed 1 shuffles the pairs before its 10 folds (--seed S): roc --folds 10 on
//                     it gives fold accuracies comparable with eval's
//   summary.json      counts, detector, versions, backend, timing, and the identification figures:
//                     caricature->photo and photo->caricature Rank-1/Rank-10 over the list's images
//                     (every caricature against all the list's photos, and the reverse; nearest by
//                     Euclidean distance; identities compared case-insensitively; ties with another
//                     identity count against the probe, as in CariLab's eval).
// Verification accuracy and AUC: carilab-cli roc --scores OUT/pair_scores.csv --folds 10 --distance
//
// The packages (@vladmandic/face-api@1.7.15, @tensorflow/tfjs@4, @tensorflow/tfjs-backend-wasm@4,
// jpeg-js) are installed with npm into FACE_API_NODE_DIR (default ~/.cache/carilab/face-api-node)
// unless already there. Weights: --model, else ~/.local/share/carilab/pretrained/face-api-1.7.15/
// model (packaging/quickstart.sh) when it exists, else the npm package's own model/ folder.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');

const kPackages = ['@vladmandic/face-api@1.7.15', '@tensorflow/tfjs@4', '@tensorflow/tfjs-backend-wasm@4', 'jpeg-js@0.4'];
const kDims = 128;
const kFacesHeader = 'path,found,score,box_x,box_y,box_w,box_h,aligned_x,aligned_y,aligned_w,aligned_h,decoded_ok';
const kDescHeader = ['identity', 'modality', 'path', ...Array.from({ length: kDims }, (_, i) => `v${i}`)].join(',');

function usage(msg) {
  if (msg) console.error(`face_api_reference: ${msg}`);
  console.error('usage: node bench/face_api_reference.js --dataset DIR --pairs FILE --detector ssd|tiny --out DIR [--limit N] [--threads N] [--backend wasm|cpu] [--model DIR] [--seed S]\n'
    + '       node bench/face_api_reference.js --report --pairs FILE --out DIR [--dataset DIR] [--seed S]');
  process.exit(2);
}

function parseArgs(argv) {
  const a = { detector: 'ssd', threads: 1, backend: 'wasm', limit: 0, report: false, seed: 1 };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const val = () => { if (i + 1 >= argv.length) usage(`${k} needs a value`); return argv[++i]; };
    if (k === '--dataset') a.dataset = val();
    else if (k === '--pairs') a.pairs = val();
    else if (k === '--detector') a.detector = val();
    else if (k === '--out') a.out = val();
    else if (k === '--limit') a.limit = Number(val());
    else if (k === '--threads') a.threads = Number(val());
    else if (k === '--backend') a.backend = val();
    else if (k === '--model') a.model = val();
    else if (k === '--seed') a.seed = Number(val());
    else if (k === '--report') a.report = true;
    else if (k === '-h' || k === '--help') usage();
    else usage(`unknown argument ${k}`);
  }
  if (!a.pairs || !a.out) usage('--pairs and --out are required');
  if (!a.report && !a.dataset) usage('--dataset is required');
  if (!['ssd', 'tiny'].includes(a.detector)) usage('--detector is ssd or tiny');
  if (!['wasm', 'cpu'].includes(a.backend)) usage('--backend is wasm or cpu');
  if (!(Number.isInteger(a.threads) && a.threads >= 1)) usage('--threads is a positive integer');
  if (!(Number.isInteger(a.limit) && a.limit >= 0)) usage('--limit is a non-negative integer');
  if (!(Number.isSafeInteger(a.seed) && a.seed >= 0)) usage('--seed is a non-negative integer');
  return a;
}

// ---- pair list and dataset ---------------------------------------------------------------------

// A path of the list ("Real/Name\file.jpg") to the file on disk, relative to the dataset root,
// component by component, exact name first, else case-insensitively.
function makeResolver(root) {
  const listings = new Map();
  const entries = (dir) => {
    if (!listings.has(dir)) {
      let names = [];
      try { names = fs.readdirSync(dir); } catch (e) { /* missing folder */ }
      listings.set(dir, names);
    }
    return listings.get(dir);
  };
  const resolveUnder = (base, parts) => {
    const out = [];
    let dir = base;
    for (const p of parts) {
      const names = entries(dir);
      const hit = names.includes(p) ? p : names.find((n) => n.toLowerCase() === p.toLowerCase());
      if (!hit) return null;
      out.push(hit);
      dir = path.join(dir, hit);
    }
    return out.join('/');
  };
  return (listPath) => {
    const parts = listPath.split(/[\\/]+/).filter(Boolean);
    const underCavi = resolveUnder(root, ['CaVI_Dataset']);
    if (underCavi) {
      const r = resolveUnder(path.join(root, underCavi), parts);
      if (r) return `${underCavi}/${r}`;
    }
    return resolveUnder(root, parts);
  };
}

function readPairs(file) {
  const pairs = [];
  const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/);
  lines.forEach((line, n) => {
    const f = line.trim().split(/\s+/);
    if (f.length === 1 && f[0] === '') return;
    if (f.length !== 5 || !/^[01]$/.test(f[4])) throw new Error(`${file}:${n + 1}: expected "<id> <path> <id> <path> <0|1>"`);
    pairs.push({ a: { id: f[0], listPath: f[1] }, b: { id: f[2], listPath: f[3] }, label: Number(f[4]) });
  });
  return pairs;
}

// Distinct images in order of first appearance, keyed by the list path (lower case).
function distinctImages(pairs, resolve) {
  const images = new Map();
  for (const p of pairs) {
    for (const side of [p.a, p.b]) {
      const key = side.listPath.toLowerCase();
      if (images.has(key)) continue;
      const top = side.listPath.split(/[\\/]+/)[0].toLowerCase();
      const modality = top === 'caricature' ? 'caricature' : top === 'real' ? 'photo' : null;
      if (!modality) throw new Error(`${side.listPath}: neither Caricature/ nor Real/`);
      const rel = resolve ? resolve(side.listPath) : null;
      images.set(key, { key, identity: side.id, modality, path: rel, listPath: side.listPath });
    }
  }
  return images;
}

// ---- decoding ----------------------------------------------------------------------------------

// ImageMagick decodes JPEGs with libjpeg (as CariLab's OpenCV does) so both see the same pixels;
// one process gives size and pixels as a binary PPM. jpeg-js (another IDCT) is the fallback.
let decoderUsed = null;
function decodeRgb(file, jpeg) {
  try {
    const ppm = execFileSync('convert', [file, '-depth', '8', 'ppm:-'], { maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] });
    // Header: "P6" <ws> width <ws> height <ws> maxval <single ws> data (comments are not written).
    const m = /^P([56])\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(ppm.subarray(0, 64).toString('latin1'));
    if (m && Number(m[4]) === 255) {
      const [w, h, ch] = [Number(m[2]), Number(m[3]), m[1] === '6' ? 3 : 1];
      const body = ppm.subarray(m[0].length);
      if (body.length === w * h * ch) {
        decoderUsed = 'ImageMagick convert (libjpeg)';
        let data = body;
        if (ch === 1) {
          data = Buffer.alloc(w * h * 3);
          for (let i = 0; i < w * h; i++) data[3 * i] = data[3 * i + 1] = data[3 * i + 2] = body[i];
        }
        return { width: w, height: h, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
      }
    }
  } catch (e) { /* fall through to jpeg-js */ }
  if (!jpeg) return null;
  try {
    const d = jpeg.decode(fs.readFileSync(file), { useTArray: true, formatAsRGBA: false, maxMemoryUsageInMB: 2048 });
    decoderUsed = decoderUsed || 'jpeg-js 0.4';
    return d;
  } catch (e) {
    return null;
  }
}

// ---- output files ------------------------------------------------------------------------------

function splitCsvPath(line) {
  // Paths hold no commas in CaVI; identity,modality,path,... / path,found,...
  return line.split(',');
}

// Rows already written: the images present, complete, in both files. With rewrite, cuts the files
// back to those rows when a killed run left a partial line or a row in only one of them.
function loadDone(out, rewrite = true) {
  const descFile = path.join(out, 'descriptors.csv');
  const facesFile = path.join(out, 'faces.csv');
  const read = (file, header, fields) => {
    const rows = new Map();
    if (!fs.existsSync(file)) return { rows, clean: false };
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    // Every row ends with a newline: text after the last one is a row cut short by a kill.
    let clean = lines[0] === header && lines[lines.length - 1] === '';
    for (const line of lines.slice(1, -1)) {
      if (!line) continue;
      const f = splitCsvPath(line);
      if (f.length !== fields) { clean = false; continue; }
      rows.set(f, line);
    }
    return { rows, clean };
  };
  const desc = read(descFile, kDescHeader, 3 + kDims);
  const faces = read(facesFile, kFacesHeader, 12);
  const descByPath = new Map([...desc.rows].map(([f, line]) => [f[2], { f, line }]));
  const facesByPath = new Map([...faces.rows].map(([f, line]) => [f[0], { f, line }]));
  const done = new Map();
  for (const [p, d] of descByPath) if (facesByPath.has(p)) done.set(p, { desc: d.f, faces: facesByPath.get(p).f });
  const cut = (file, header, byPath, clean) => {
    if (!rewrite || (clean && byPath.size === done.size)) return;
    const body = [...byPath].filter(([p]) => done.has(p)).map(([, r]) => `${r.line}\n`).join('');
    fs.writeFileSync(file, `${header}\n${body}`);
  };
  cut(descFile, kDescHeader, descByPath, desc.clean);
  cut(facesFile, kFacesHeader, facesByPath, faces.clean);
  return done;
}

const num = (x) => (Number.isFinite(x) ? String(Number(x.toPrecision(7))) : '');

// ---- CariLab's CaVI fold order -----------------------------------------------------------------

// std::mt19937_64 (C++11), for the pair shuffle of CariLab's CaVI folds.
function mt19937_64(seed) {
  const M = (1n << 64n) - 1n;
  const mt = new Array(312);
  mt[0] = BigInt(seed) & M;
  for (let i = 1; i < 312; i++) mt[i] = (6364136223846793005n * (mt[i - 1] ^ (mt[i - 1] >> 62n)) + BigInt(i)) & M;
  let idx = 312;
  return () => {
    if (idx >= 312) {
      for (let i = 0; i < 312; i++) {
        const y = (mt[i] & 0xFFFFFFFF80000000n) | (mt[(i + 1) % 312] & 0x7FFFFFFFn);
        mt[i] = mt[(i + 156) % 312] ^ (y >> 1n) ^ ((y & 1n) ? 0xB5026F5AA96619E9n : 0n);
      }
      idx = 0;
    }
    let x = mt[idx++];
    x ^= (x >> 29n) & 0x5555555555555555n;
    x ^= (x << 17n) & 0x71D67FFFEDA60000n;
    x ^= (x << 37n) & 0xFFF7EEE000000000n;
    x ^= x >> 43n;
    return x & M;
  };
}

// The pairs in the order carilab-cli eval --protocol cavi --seed S puts them before cutting 10
// folds (core/data/cavi_protocol.cpp: Fisher-Yates with rng() % i).
function caviFoldOrder(n, seed) {
  const order = Array.from({ length: n }, (_, i) => i);
  const rng = mt19937_64(seed);
  for (let i = n; i > 1; i--) {
    const j = Number(rng() % BigInt(i));
    [order[i - 1], order[j]] = [order[j], order[i - 1]];
  }
  return order;
}

// ---- figures -----------------------------------------------------------------------------------

function distance(a, b) {
  let s = 0;
  for (let i = 0; i < a.length; i++) { const d = a[i] - b[i]; s += d * d; }
  return Math.sqrt(s);
}

// Rank-k of each probe against the gallery by Euclidean distance: rank = 1 + number of other-
// identity gallery images at least as close as the probe's closest same-identity image.
function rankK(probes, gallery, ks) {
  let ranked = 0, withoutMate = 0;
  const hits = ks.map(() => 0);
  for (const p of probes) {
    let best = Infinity, mate = false;
    for (const g of gallery) if (g.id === p.id) { mate = true; best = Math.min(best, distance(p.v, g.v)); }
    if (!mate) { withoutMate++; continue; }
    let above = 0;
    for (const g of gallery) if (g.id !== p.id && distance(p.v, g.v) <= best) above++;
    ranked++;
    ks.forEach((k, i) => { if (above + 1 <= k) hits[i]++; });
  }
  const r = { probes: ranked, gallery: gallery.length, probes_without_mate: withoutMate };
  ks.forEach((k, i) => { r[`rank${k}`] = ranked ? hits[i] / ranked : null; });
  return r;
}

// pair_scores.csv and the identification figures from what descriptors.csv/faces.csv hold.
function report(args, pairs, images, done) {
  const vec = new Map();
  for (const [p, d] of done) {
    const decoded = d.faces[11] === '1';
    if (decoded) vec.set(p, Float32Array.from(d.desc.slice(3), Number));
  }
  const byKey = new Map();
  for (const img of images.values()) byKey.set(img.key, img);
  // Without --dataset (plain --report) the disk path is unknown: match the list path to the rows.
  if ([...images.values()].some((i) => !i.path)) {
    const rowByTail = new Map();
    for (const p of done.keys()) rowByTail.set(p.toLowerCase().replace(/^cavi_dataset\//, ''), p);
    for (const img of images.values()) img.path = img.path || rowByTail.get(img.listPath.toLowerCase().replace(/\\/g, '/')) || null;
  }
  const lines = ['score,label'];
  let scored = 0, missing = 0;
  for (const pr of pairs) {
    const a = vec.get(byKey.get(pr.a.listPath.toLowerCase()).path);
    const b = vec.get(byKey.get(pr.b.listPath.toLowerCase()).path);
    if (a && b) { lines.push(`${num(distance(a, b))},${pr.label}`); scored++; } else { lines.push(`nan,${pr.label}`); missing++; }
  }
  fs.writeFileSync(path.join(args.out, 'pair_scores.csv'), `${lines.join('\n')}\n`);
  const shuffled = caviFoldOrder(pairs.length, args.seed).map((i) => lines[i + 1]);
  fs.writeFileSync(path.join(args.out, `pair_scores_cavi_seed${args.seed}.csv`), `score,label\n${shuffled.join('\n')}\n`);
  const caricatures = [], photos = [];
  for (const img of images.values()) {
    const v = img.path && vec.get(img.path);
    if (!v) continue;
    (img.modality === 'caricature' ? caricatures : photos).push({ id: img.identity.toLowerCase(), v });
  }
  return {
    pairs: pairs.length,
    pairs_scored: scored,
    pairs_unscored: missing,
    identification: {
      protocol: 'every caricature (photo) of the list against all its photos (caricatures), nearest by Euclidean distance',
      c2p: rankK(caricatures, photos, [1, 5, 10]),
      p2c: rankK(photos, caricatures, [1, 5, 10]),
    },
  };
}

// ---- face-api ----------------------------------------------------------------------------------

function installDir() {
  const dir = process.env.FACE_API_NODE_DIR || path.join(os.homedir(), '.cache', 'carilab', 'face-api-node');
  if (!fs.existsSync(path.join(dir, 'node_modules', '@vladmandic', 'face-api', 'package.json'))) {
    fs.mkdirSync(dir, { recursive: true });
    if (!fs.existsSync(path.join(dir, 'package.json'))) fs.writeFileSync(path.join(dir, 'package.json'), '{"private":true}\n');
    console.error(`face_api_reference: npm install ${kPackages.join(' ')} into ${dir}`);
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--silent', ...kPackages], { cwd: dir, stdio: 'inherit' });
  }
  return dir;
}

function loadWeightMap(tf, modelDir, model) {
  const manifest = JSON.parse(fs.readFileSync(path.join(modelDir, `${model}-weights_manifest.json`), 'utf8'));
  const buffer = Buffer.concat(manifest[0].paths.map((p) => fs.readFileSync(path.join(modelDir, p))));
  const arrayBuffer = buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength);
  return tf.io.decodeWeights(arrayBuffer, manifest[0].weights);
}

function modelDir(args, pkgDir) {
  if (args.model) return args.model;
  const shared = path.join(os.homedir(), '.local', 'share', 'carilab', 'pretrained', 'face-api-1.7.15', 'model');
  const need = ['ssd_mobilenetv1_model', 'tiny_face_detector_model', 'face_landmark_68_model', 'face_recognition_model'];
  if (need.every((m) => fs.existsSync(path.join(shared, `${m}-weights_manifest.json`)))) return shared;
  return path.join(pkgDir, 'model');
}

async function run(args) {
  const pairs = readPairs(args.pairs);
  const resolve = args.dataset ? makeResolver(args.dataset) : null;
  const images = distinctImages(pairs, resolve);
  if (args.report) {
    // Read only: a run may still be appending to the same folder.
    const done = loadDone(args.out, false);
    const r = report(args, pairs, images, done);
    const summaryFile = path.join(args.out, 'summary.json');
    const summary = fs.existsSync(summaryFile) ? JSON.parse(fs.readFileSync(summaryFile, 'utf8')) : {};
    Object.assign(summary, r);
    fs.writeFileSync(summaryFile, `${JSON.stringify(summary, null, 1)}\n`);
    console.log(JSON.stringify(r, null, 1));
    return;
  }
  const unresolved = [...images.values()].filter((i) => !i.path);
  for (const u of unresolved) console.error(`face_api_reference: ${u.listPath}: not found under ${args.dataset}`);

  const dir = installDir();
  const req = (m) => require(path.join(dir, 'node_modules', m));
  const faceapi = req('@vladmandic/face-api/dist/face-api.node-wasm.js');
  const tf = faceapi.tf;
  let jpeg = null;
  try { jpeg = req('jpeg-js'); } catch (e) { /* ImageMagick only */ }
  if (args.backend === 'wasm') tf.setThreadsCount(args.threads);
  await tf.setBackend(args.backend);
  await tf.ready();
  const threads = args.backend === 'wasm' ? tf.getThreadsCount() : 1;
  // Under Node, tfjs-backend-wasm 4.x finds no multithread support (WASM_HAS_MULTITHREAD_SUPPORT is
  // false; forcing it fails with "WASM backend not initialized"): it runs on one thread whatever
  // --threads says.
  if (threads !== args.threads) console.error(`face_api_reference: --threads ${args.threads} not available on this backend, running ${threads}`);

  const pkgDir = path.join(dir, 'node_modules', '@vladmandic', 'face-api');
  const models = modelDir(args, pkgDir);
  faceapi.nets.ssdMobilenetv1.loadFromWeightMap(loadWeightMap(tf, models, 'ssd_mobilenetv1_model'));
  faceapi.nets.tinyFaceDetector.loadFromWeightMap(loadWeightMap(tf, models, 'tiny_face_detector_model'));
  faceapi.nets.faceLandmark68Net.loadFromWeightMap(loadWeightMap(tf, models, 'face_landmark_68_model'));
  faceapi.nets.faceRecognitionNet.loadFromWeightMap(loadWeightMap(tf, models, 'face_recognition_model'));
  const options = args.detector === 'ssd' ? new faceapi.SsdMobilenetv1Options() : new faceapi.TinyFaceDetectorOptions();
  const version = (p) => JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', p, 'package.json'), 'utf8')).version;

  fs.mkdirSync(args.out, { recursive: true });
  // One run per folder: a second one would append the same images twice.
  const lock = path.join(args.out, 'run.lock');
  try {
    const pid = Number(fs.readFileSync(lock, 'utf8'));
    let alive = false;
    try { process.kill(pid, 0); alive = true; } catch (e) { alive = e.code === 'EPERM'; }
    if (alive && pid !== process.pid) throw new Error(`${args.out} is in use by process ${pid} (${lock})`);
  } catch (e) { if (e.code !== 'ENOENT') throw e; }
  fs.writeFileSync(lock, `${process.pid}\n`);
  process.on('exit', () => { try { fs.unlinkSync(lock); } catch (e) { /* gone */ } });
  const done = loadDone(args.out);
  const descFile = path.join(args.out, 'descriptors.csv');
  const facesFile = path.join(args.out, 'faces.csv');
  const todo = [...images.values()].filter((i) => i.path && !done.has(i.path));
  const batch = args.limit ? todo.slice(0, args.limit) : todo;
  console.error(`face_api_reference: ${images.size} images in ${args.pairs}, ${done.size} already in ${args.out}, `
    + `${batch.length} to run; detector ${args.detector}, backend ${tf.getBackend()} (${threads} thread${threads > 1 ? 's' : ''}), weights ${models}`);

  const t0 = process.hrtime.bigint();
  let n = 0, found = 0, failed = 0;
  for (const img of batch) {
    const raw = decodeRgb(path.join(args.dataset, img.path), jpeg);
    let desc = null;
    let facesRow;
    if (!raw) {
      failed++;
      facesRow = [img.path, 0, '', '', '', '', '', '', '', '', '', 0];
    } else {
      const input = tf.tensor3d(raw.data, [raw.height, raw.width, 3], 'int32');
      const faces = await faceapi.detectAllFaces(input, options).withFaceLandmarks().withFaceDescriptors();
      let best = null;
      for (const f of faces) if (!best || f.detection.score > best.detection.score) best = f;
      if (best) {
        found++;
        const b = best.detection.box;
        const al = best.landmarks.align(null, { useDlibAlignment: true });
        desc = best.descriptor;
        facesRow = [img.path, 1, num(best.detection.score), num(b.x), num(b.y), num(b.width), num(b.height), num(al.x), num(al.y), num(al.width), num(al.height), 1];
      } else {
        desc = await faceapi.nets.faceRecognitionNet.computeFaceDescriptor(input);
        facesRow = [img.path, 0, '', '', '', '', '', '', '', '', '', 1];
      }
      input.dispose();
    }
    const values = desc ? Array.from(desc, num) : Array(kDims).fill('');
    fs.appendFileSync(descFile, `${[img.identity, img.modality, img.path, ...values].join(',')}\n`);
    fs.appendFileSync(facesFile, `${facesRow.join(',')}\n`);
    n++;
    if (n % 50 === 0 || n === batch.length) {
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      console.error(`face_api_reference: ${done.size + n}/${images.size} (${n} this run, ${found} faces, ${failed} undecoded) ${(s / n).toFixed(3)} s/image, tensors ${tf.memory().numTensors}`);
    }
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;

  // Totals over everything in --out (this run and earlier ones).
  const all = loadDone(args.out);
  let decoded = 0, facesFound = 0;
  for (const d of all.values()) { decoded += d.faces[11] === '1'; facesFound += d.faces[1] === '1'; }
  const summaryFile = path.join(args.out, 'summary.json');
  const previous = fs.existsSync(summaryFile) ? JSON.parse(fs.readFileSync(summaryFile, 'utf8')) : {};
  const runs = [...(previous.runs || []), {
    date: new Date().toISOString(), images: n, seconds: Number(seconds.toFixed(1)),
    seconds_per_image: n ? Number((seconds / n).toFixed(4)) : null, images_per_s: seconds ? Number((n / seconds).toFixed(3)) : null,
    load_average: os.loadavg().map((x) => Number(x.toFixed(2))), cpus: os.cpus().length,
  }];
  const totalSeconds = runs.reduce((s, r) => s + r.seconds, 0);
  const totalImages = runs.reduce((s, r) => s + r.images, 0);
  const summary = {
    generator: 'bench/face_api_reference.js',
    pairs_file: path.resolve(args.pairs),
    dataset: path.resolve(args.dataset),
    images: images.size,
    images_in_output: all.size,
    images_not_found: unresolved.length,
    decoded,
    faces_found: facesFound,
    no_face_whole_image_descriptor: decoded - facesFound,
    complete: all.size === images.size - unresolved.length,
    detector: args.detector,
    detector_options: { ...options },
    pipeline: `detectAllFaces(img, new ${options._name}()).withFaceLandmarks().withFaceDescriptors(), best score; no face: faceRecognitionNet.computeFaceDescriptor(whole image)`,
    versions: {
      '@vladmandic/face-api': version('@vladmandic/face-api'),
      '@tensorflow/tfjs': version('@tensorflow/tfjs'),
      '@tensorflow/tfjs-backend-wasm': version('@tensorflow/tfjs-backend-wasm'),
      node: process.version,
    },
    weights: models,
    backend: tf.getBackend(),
    threads,
    decoder: decoderUsed,
    seconds: Number(totalSeconds.toFixed(1)),
    images_per_s: totalSeconds ? Number((totalImages / totalSeconds).toFixed(3)) : null,
    seconds_per_image: totalImages ? Number((totalSeconds / totalImages).toFixed(4)) : null,
    runs,
    ...report(args, pairs, images, all),
  };
  fs.writeFileSync(summaryFile, `${JSON.stringify(summary, null, 1)}\n`);
  const id = summary.identification;
  const pct = (x) => (x == null ? '-' : `${(100 * x).toFixed(2)}%`);
  console.error(`face_api_reference: ${all.size}/${images.size} images in ${args.out}: ${decoded} decoded, ${facesFound} faces found; `
    + `C2P Rank-1 ${pct(id.c2p.rank1)}, P2C Rank-1 ${pct(id.p2c.rank1)}${summary.complete ? '' : ' (incomplete: rerun to resume)'}; `
    + `${n} images this run in ${seconds.toFixed(1)} s`);
}

run(parseArgs(process.argv.slice(2))).catch((e) => { console.error(e); process.exit(1); });
