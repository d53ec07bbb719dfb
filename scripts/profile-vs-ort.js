#!/usr/bin/env node
// profile-vs-ort.js: where our time per node differs from ONNX Runtime's on the same model.
// Runs the ONNX file with ONNX Runtime's own profiler (CPU provider, graph optimization all,
// the threads given) on one input tensor, takes each node's median kernel time over the
// timed runs, and sets it beside the per-node profile of ours (`yolo bench ENGINE --profile
// --json`, its `.profile.nodes`). Names are matched after dropping the suffixes each side adds
// (ONNX Runtime's `_output_0_nchwc` and the `_token_N` of the nodes it fuses in a QDQ model,
// our `_quant_fp32` of a _dq model's weights); ONNX Runtime's activation fused after a Conv
// (`/act/Mul/QuickGeluFusion/`) is counted with that Conv, since ours runs it in the Conv's
// epilogue. Prints the totals, each side's nodes with
// no counterpart on the other (its layout reorders; our passes' nodes), and the nodes where
// ours is slowest against it.
//
// usage: node scripts/profile-vs-ort.js --ours PROFILE.json --model m.onnx --input in.bin
//          [--shape 1,3,640,640] [--threads 1] [--runs 20] [--top 30] [--ort DIR]
//   e.g. taskset -c 1 build/yolo bench yolov5n.engine --threads 1 --profile --json > ours.json
//        taskset -c 1 node scripts/profile-vs-ort.js --ours ours.json \
//          --model ../shared/data/models/yolov5n.onnx --input ../shared/golden/input_bus_640.bin
// --ort: where ../shared/tools/setup-ort.sh installed onnxruntime-node (default $YOLO_ORT,
// else /tmp/yolo-ort). Measure on a quiet machine, both sides pinned to the same CPU.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');

function usage(msg) {
    if (msg) console.error(`profile-vs-ort.js: ${msg}`);
    console.error('usage: node profile-vs-ort.js --ours PROFILE.json --model m.onnx --input in.bin ' +
                  '[--shape 1,3,640,640] [--threads 1] [--runs 20] [--top 30] [--ort DIR]');
    process.exit(2);
}

const a = { ort: process.env.YOLO_ORT || '/tmp/yolo-ort', shape: '1,3,640,640', threads: '1', runs: '20', top: '30' };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i];
    if (k === '-h' || k === '--help') usage();
    if (!k.startsWith('--') || !(k.slice(2) in { ours: 1, model: 1, input: 1, ...a }) || i + 1 >= argv.length)
        usage(`bad argument ${k}`);
    a[k.slice(2)] = argv[i + 1];
}
for (const k of ['ours', 'model', 'input']) if (!a[k]) usage(`--${k} is required`);
const shape = a.shape.split(',').map(Number), threads = Number(a.threads), runs = Number(a.runs), top = Number(a.top);
if (shape.some(d => !Number.isInteger(d) || d <= 0) || !(threads >= 1) || !(runs >= 1) || !(top >= 0))
    usage('--shape, --threads, --runs and --top must be positive integers');

function readJson(file) {
    try { return JSON.parse(fs.readFileSync(file, 'utf8')); } catch (e) {
        console.error(`profile-vs-ort.js: ${file}: ${e.message}`);
        process.exit(1);
    }
}
const oursNodes = (readJson(a.ours).profile || {}).nodes;
if (!Array.isArray(oursNodes)) {
    console.error(`profile-vs-ort.js: ${a.ours}: no profile.nodes (make it with yolo bench ENGINE --profile --json)`);
    process.exit(1);
}

function loadOrt(dir) {
    for (const c of [path.join(dir, 'node_modules', 'onnxruntime-node'), dir])
        if (fs.existsSync(path.join(c, 'package.json'))) return require(path.resolve(c));
    console.error(`profile-vs-ort.js: onnxruntime-node not found under ${dir} (run ../shared/tools/setup-ort.sh ${dir})`);
    process.exit(1);
}

const median = v => { const s = [...v].sort((x, y) => x - y), m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const key = n => n.replace(/_token_\d+$/, '').replace(/_output_0_nchwc$/, '').replace(/_output_0$/, '').replace(/_quant_fp32$/, '');

async function main() {
    const ort = loadOrt(a.ort);
    const buf = fs.readFileSync(a.input), count = shape.reduce((p, d) => p * d, 1);
    if (buf.length !== count * 4) {
        console.error(`profile-vs-ort.js: ${a.input} has ${buf.length} bytes, shape ${a.shape} needs ${count * 4}`);
        process.exit(1);
    }
    const data = new Float32Array(count);
    new Uint8Array(data.buffer).set(buf);
    const warmup = 5;
    const prefix = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ortprof-')), 'p');
    const sess = await ort.InferenceSession.create(a.model, {
        executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: threads,
        interOpNumThreads: 1, executionMode: 'sequential', enableProfiling: true, profileFilePrefix: prefix,
    });
    const feeds = { [sess.inputNames[0]]: new ort.Tensor('float32', data, shape) };
    for (let i = 0; i < warmup + runs; i++) await sess.run(feeds);
    if (sess.endProfiling) sess.endProfiling();
    await sess.release();
    const dir = path.dirname(prefix), file = fs.readdirSync(dir).find(f => f.endsWith('.json'));
    if (!file) { console.error('profile-vs-ort.js: ONNX Runtime wrote no profile'); process.exit(1); }
    const times = new Map();   // node -> kernel times (ms), in run order
    for (const e of readJson(path.join(dir, file)))
        if (e.cat === 'Node' && e.name.endsWith('_kernel_time')) {
            const n = e.name.slice(0, -'_kernel_time'.length);
            if (!times.has(n)) times.set(n, []);
            times.get(n).push(e.dur / 1000);
        }
    fs.rmSync(dir, { recursive: true, force: true });
    const ortMs = new Map();
    for (const [n, v] of times) {
        const k = key(n), t = median(v.slice(-runs));
        ortMs.set(k, (ortMs.get(k) || 0) + t);
    }
    const used = new Set(), rows = [];
    for (const o of oursNodes) {
        const k = key(o.node);
        let t = ortMs.has(k) ? ortMs.get(k) : null;
        if (t !== null) used.add(k);
        const act = k.endsWith('/conv/Conv') ? k.slice(0, -'/conv/Conv'.length) + '/act/Mul/QuickGeluFusion/' : null;
        if (act && ortMs.has(act)) { t = (t || 0) + ortMs.get(act); used.add(act); }
        rows.push({ node: o.node, kernel: o.kernel, ours: o.ms, ort: t });
    }
    const sum = f => rows.reduce((s, r) => s + (f(r) || 0), 0);
    const unmatched = [...ortMs].filter(([k]) => !used.has(k)).sort((x, y) => y[1] - x[1]);
    const ortTotal = [...ortMs.values()].reduce((s, v) => s + v, 0);
    console.log(`ours: ${sum(r => r.ours).toFixed(2)} ms in ${rows.length} nodes; ONNX Runtime: ` +
                `${ortTotal.toFixed(2)} ms in its nodes (median of ${runs} runs, ${threads} thread(s)), ` +
                `${unmatched.reduce((s, [, v]) => s + v, 0).toFixed(2)} ms of it in nodes ours has no counterpart of`);
    for (const [k, v] of unmatched.slice(0, 8)) console.log(`  ONNX Runtime only  ${v.toFixed(3)} ms  ${k}`);
    rows.filter(r => r.ort === null && r.ours >= 0.01).sort((x, y) => y.ours - x.ours).slice(0, 8)
        .forEach(r => console.log(`  ours only          ${r.ours.toFixed(3)} ms  ${r.node} (${r.kernel})`));
    console.log('ours ms   ORT ms   ours-ORT  node (our kernel)');
    rows.filter(r => r.ort !== null).sort((x, y) => (y.ours - y.ort) - (x.ours - x.ort)).slice(0, top)
        .forEach(r => console.log(`${r.ours.toFixed(3).padStart(7)}  ${r.ort.toFixed(3).padStart(7)}  ` +
                                  `${(r.ours - r.ort >= 0 ? '+' : '') + (r.ours - r.ort).toFixed(3)}    ${r.node} (${r.kernel})`));
}

main().catch(e => { console.error(`profile-vs-ort.js: ${e.message}`); process.exit(1); });
