// tinygrad_mlp playground: the page. Plain JavaScript, no libraries. Training runs on the server
// (tinygrad_mlp); this file draws what it sends and keeps the whole state in the URL.
'use strict';

const FEATURES = ['x1', 'x2', 'x1sq', 'x2sq', 'x1x2', 'sinx1', 'sinx2'];
const FEATURE_TEXT = {x1: 'x₁', x2: 'x₂', x1sq: 'x₁²', x2sq: 'x₂²', x1x2: 'x₁x₂', sinx1: 'sin x₁', sinx2: 'sin x₂'};
const SETS = {classification: ['circle', 'xor', 'gauss', 'spiral', 'moons'], regression: ['plane', 'bumps']};
const ACTIVATIONS = ['tanh', 'relu', 'sigmoid', 'linear', 'leaky_relu', 'gelu', 'silu', 'elu'];
const RATES = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
const REG_RATES = [0, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
const DEFAULTS = {problem: 'classification', dataset: 'circle', noise: 0, ratio: 50, seed: 1,
  features: ['x1', 'x2'], hidden: [4, 2], activation: 'tanh', lr: 0.03, batch: 10, reg: 'none',
  reg_rate: 0, optimizer: 'sgd'};
const MAX_LAYERS = 6, MAX_NEURONS = 8, NODE = 40, ROW = 54, TOP = 74;
const NEG = [217, 119, 59], MID = [246, 246, 244], POS = [58, 120, 181];

const $ = (id) => document.getElementById(id);
const SVG_NS = 'http://www.w3.org/2000/svg';
let cfg = readUrl();
let snap = null, points = null, playing = false, selected = null, inspected = null;
let queue = Promise.resolve();
const session = (() => {  // this page load's own session on the server (the URL holds the state)
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
})();

// ------------------------------------------------------------------ state <-> URL

function readUrl() {
  const p = new URLSearchParams(location.hash.slice(1));
  const c = JSON.parse(JSON.stringify(DEFAULTS));
  const num = (k, ok) => { const v = Number(p.get(k)); if (p.has(k) && Number.isFinite(v) && ok(v)) c[k] = v; };
  if (['classification', 'regression'].includes(p.get('problem'))) c.problem = p.get('problem');
  c.dataset = SETS[c.problem].includes(p.get('dataset')) ? p.get('dataset') : SETS[c.problem][0];
  num('noise', (v) => v >= 0 && v <= 50 && v % 5 === 0);
  num('ratio', (v) => v >= 10 && v <= 90 && v % 10 === 0);
  num('seed', (v) => Number.isInteger(v) && v >= 0 && v < 2 ** 31);
  num('lr', (v) => RATES.includes(v));
  num('batch', (v) => Number.isInteger(v) && v >= 1 && v <= 50);
  num('reg_rate', (v) => REG_RATES.includes(v));
  if (p.has('features')) {
    const f = p.get('features').split(',').filter((x) => FEATURES.includes(x));
    if (f.length) c.features = FEATURES.filter((x) => f.includes(x));
  }
  if (p.has('hidden')) {
    const text = p.get('hidden');
    const h = text === '' ? [] : text.split(',').map(Number);
    if (h.length <= MAX_LAYERS && h.every((n) => Number.isInteger(n) && n >= 1 && n <= MAX_NEURONS)) c.hidden = h;
  }
  if (ACTIVATIONS.includes(p.get('activation'))) c.activation = p.get('activation');
  if (['none', 'l1', 'l2'].includes(p.get('reg'))) c.reg = p.get('reg');
  if (['sgd', 'momentum', 'adam'].includes(p.get('optimizer'))) c.optimizer = p.get('optimizer');
  return c;
}

function writeUrl() {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(cfg)) p.set(k, Array.isArray(v) ? v.join(',') : String(v));
  history.replaceState(null, '', '#' + p.toString());
}

// ------------------------------------------------------------------ talking to the server

async function api(name, body) {
  const r = await fetch('/api/' + name, {method: 'POST', headers: {'Content-Type': 'application/json'},
    body: JSON.stringify(Object.assign({session}, body))});
  const data = await r.json().catch(() => ({error: 'no answer from the server'}));
  if (r.status === 404 && name !== 'reset' && /session/.test(data.error || '')) {
    await api('reset', {config: cfg});          // the server forgot this page: start it again
    return api(name, body);
  }
  if (!r.ok) throw new Error(data.error || ('HTTP ' + r.status));
  return data;
}

function enqueue(fn) {  // one request of this page at a time, in order
  const run = queue.then(fn).catch((e) => { $('error').textContent = e.message; pause(); });
  queue = run;
  return run;
}

function reset(keep) {
  writeUrl();
  return enqueue(async () => {
    const s = await api('reset', {config: cfg, keep: !!keep});
    $('error').textContent = '';
    if (s.points) points = s.points;
    render(s);
    refreshInspector();
  });
}

function stepOnce() {
  return enqueue(async () => { render(await api('step', {epochs: 1})); });
}

async function loop() {
  while (playing) {
    await stepOnce();
    await new Promise((r) => requestAnimationFrame(r));
  }
  refreshInspector();
}

function play() { if (!playing) { playing = true; $('play').innerHTML = '&#10074;&#10074;'; $('play').classList.add('on'); loop(); } }
function pause() { playing = false; $('play').innerHTML = '&#9654;'; $('play').classList.remove('on'); }

// ------------------------------------------------------------------ colours and heatmaps

function colour(v) {  // v in [-1, 1]: orange, near-white, blue
  const t = Math.max(-1, Math.min(1, v)), to = t < 0 ? NEG : POS, a = Math.abs(t);
  return [0, 1, 2].map((i) => Math.round(MID[i] + (to[i] - MID[i]) * a));
}

function css(rgb, alpha) { return alpha === undefined ? `rgb(${rgb.join(',')})` : `rgba(${rgb.join(',')},${alpha})`; }

function decode(q) { const s = atob(q), out = new Uint8Array(s.length); for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i); return out; }

function paintHeatmap(canvas, q, grid, soft) {
  const bytes = decode(q), img = new ImageData(grid, grid);
  for (let i = 0; i < grid * grid; i++) {
    const c = colour((bytes[i] / 255) * 2 - 1);
    img.data.set([c[0], c[1], c[2], soft ? 230 : 255], i * 4);
  }
  const tmp = document.createElement('canvas');
  tmp.width = tmp.height = grid;
  tmp.getContext('2d').putImageData(img, 0, 0);
  const g = canvas.getContext('2d');
  g.imageSmoothingEnabled = true;
  g.clearRect(0, 0, canvas.width, canvas.height);
  g.drawImage(tmp, 0, 0, canvas.width, canvas.height);
}

// ------------------------------------------------------------------ controls

function fillSelect(id, values, label) {
  const s = $(id);
  s.innerHTML = '';
  for (const v of values) { const o = document.createElement('option'); o.value = String(v); o.textContent = label ? label(v) : String(v); s.appendChild(o); }
}

function thumbnail(name) {  // a small sketch of each data set (drawing only)
  const c = document.createElement('canvas'); c.width = c.height = 52;
  const g = c.getContext('2d'); let seed = 7;
  const rand = () => { seed = (seed * 16807) % 2147483647; return seed / 2147483647; };
  g.fillStyle = '#fff'; g.fillRect(0, 0, 52, 52);
  const dot = (x, y, v) => { g.fillStyle = css(colour(v)); g.fillRect(26 + x * 4 - 1, 26 - y * 4 - 1, 3, 3); };
  for (let i = 0; i < 90; i++) {
    const u = rand() * 2 - 1, w = rand() * 2 - 1, a = rand() * 6.283, t = rand();
    if (name === 'circle') { const r = i % 2 ? 1 + 1.3 * t : 3.6 + 1.3 * t; dot(r * Math.cos(a), r * Math.sin(a), i % 2 ? 1 : -1); }
    else if (name === 'xor') dot(u * 5, w * 5, u * w > 0 ? 1 : -1);
    else if (name === 'gauss') { const s = i % 2 ? 2 : -2; dot(s + u * 1.6, s + w * 1.6, s / 2); }
    else if (name === 'spiral') { const ph = i % 2 ? 0 : Math.PI, an = 11 * t + ph; dot(5 * t * Math.sin(an), 5 * t * Math.cos(an), i % 2 ? 1 : -1); }
    else if (name === 'moons') { const b = rand() * Math.PI; i % 2 ? dot(2.8 * (Math.cos(b) - 0.5), 2.8 * (Math.sin(b) - 0.25), 1) : dot(2.8 * (0.5 - Math.cos(b)), 2.8 * (0.25 - Math.sin(b)), -1); }
    else if (name === 'plane') dot(u * 5.5, w * 5.5, (u + w) / 2);
    else { const x = u * 5.5, y = w * 5.5; dot(x, y, Math.exp(-((x + 3) ** 2 + (y - 2.5) ** 2) / 4) - Math.exp(-((x - 3) ** 2 + (y - 2.5) ** 2) / 4) - Math.exp(-((x + 3) ** 2 + (y + 2.5) ** 2) / 4) + Math.exp(-((x - 3) ** 2 + (y + 2.5) ** 2) / 4)); }
  }
  return c;
}

function buildDatasets() {
  const box = $('datasets');
  box.innerHTML = '';
  for (const name of SETS[cfg.problem]) {
    const b = document.createElement('button');
    b.className = 'dataset' + (name === cfg.dataset ? ' selected' : '');
    b.dataset.name = name; b.title = name;
    b.appendChild(thumbnail(name));
    b.onclick = () => { cfg.dataset = name; buildDatasets(); pause(); reset(false); };
    box.appendChild(b);
  }
}

function syncControls() {
  $('lr').value = String(cfg.lr); $('activation').value = cfg.activation; $('optimizer').value = cfg.optimizer;
  $('reg').value = cfg.reg; $('reg_rate').value = String(cfg.reg_rate); $('problem').value = cfg.problem;
  for (const k of ['ratio', 'noise', 'batch']) { $(k).value = cfg[k]; $(k + '-value').textContent = cfg[k]; }
  $('layer-count').textContent = `${cfg.hidden.length} hidden layer${cfg.hidden.length === 1 ? '' : 's'}`;
  buildDatasets();
}

function setupControls() {
  fillSelect('lr', RATES); fillSelect('reg_rate', REG_RATES); fillSelect('activation', ACTIVATIONS);
  const training = (k, parse) => { $(k).onchange = () => { cfg[k] = parse($(k).value); reset(true); }; };
  training('lr', Number); training('optimizer', String); training('reg', String); training('reg_rate', Number);
  $('activation').onchange = () => { cfg.activation = $('activation').value; pause(); reset(false); };
  $('problem').onchange = () => {
    cfg.problem = $('problem').value; cfg.dataset = SETS[cfg.problem][0]; syncControls(); pause(); reset(false);
  };
  for (const k of ['ratio', 'noise']) {
    $(k).oninput = () => { $(k + '-value').textContent = $(k).value; };
    $(k).onchange = () => { cfg[k] = Number($(k).value); pause(); reset(false); };
  }
  $('batch').oninput = () => { $('batch-value').textContent = $('batch').value; };
  $('batch').onchange = () => { cfg.batch = Number($('batch').value); reset(true); };
  $('regenerate').onclick = () => { cfg.seed = (cfg.seed + 1) % 2 ** 31; pause(); reset(false); };
  $('play').onclick = () => (playing ? pause() : play());
  $('step').onclick = () => { pause(); stepOnce().then(refreshInspector); };
  $('reset').onclick = () => { pause(); reset(false); };
  $('add-layer').onclick = () => { if (cfg.hidden.length < MAX_LAYERS) { cfg.hidden.push(2); changedArchitecture(); } };
  $('remove-layer').onclick = () => { if (cfg.hidden.length) { cfg.hidden.pop(); changedArchitecture(); } };
  $('show-test').onchange = () => snap && drawOutput(snap);
  $('sample').onchange = () => { if (snap) drawOutput(snap); refreshInspector(); };
  $('output').onclick = pickSample;
  $('export-run').onclick = () => enqueue(async () => {
    const r = await api('export', {kind: 'run'});
    $('export-result').textContent = `saved ${r.path} — try: ${r.command}`;
  });
  $('export-script').onclick = () => enqueue(async () => {
    const r = await api('export', {kind: 'script'});
    const url = URL.createObjectURL(new Blob([r.script], {type: 'text/x-python'}));
    $('export-result').innerHTML = '';
    const a = document.createElement('a'); a.href = url; a.download = 'playground_model.py';
    a.textContent = 'download playground_model.py';
    const pre = document.createElement('pre'); pre.id = 'script'; pre.textContent = r.script; pre.className = 'script';
    $('export-result').append(a, pre);
  });
  window.addEventListener('hashchange', () => { cfg = readUrl(); syncControls(); pause(); reset(false); });
}

function changedArchitecture() { selected = null; syncControls(); pause(); reset(false); }

// ------------------------------------------------------------------ the network diagram

function columnsX(n) {
  const w = $('diagram').clientWidth || 560, left = 60, right = w - NODE - 20;
  return Array.from({length: n}, (_, i) => (n === 1 ? left : left + (right - left) * i / (n - 1)));
}

function nodeY(i) { return TOP + i * ROW; }

function drawNetwork(s) {
  const box = $('diagram'), svg = $('edges');
  const layers = [FEATURES.length, ...cfg.hidden, 1];
  const xs = columnsX(layers.length);
  const rebuild = box.dataset.shape !== JSON.stringify([cfg.features, cfg.hidden, cfg.problem]);
  if (rebuild) {
    box.dataset.shape = JSON.stringify([cfg.features, cfg.hidden, cfg.problem]);
    for (const el of Array.from(box.children)) if (el !== svg) el.remove();
    FEATURES.forEach((f, i) => {
      const on = cfg.features.includes(f);
      const c = nodeCanvas(0, i, xs[0], nodeY(i));
      c.classList.add('feature'); c.dataset.feature = f; if (!on) c.classList.add('off');
      c.title = on ? `${FEATURE_TEXT[f]} (click to switch off)` : `${FEATURE_TEXT[f]} (click to use it)`;
      c.onclick = (ev) => { ev.stopPropagation(); toggleFeature(f); };
      const label = document.createElement('div'); label.className = 'node-label'; label.textContent = FEATURE_TEXT[f];
      label.style.left = (xs[0] - 56) + 'px'; label.style.top = (nodeY(i) + 12) + 'px';
      box.append(label);
    });
    cfg.hidden.forEach((n, l) => {
      for (let j = 0; j < n; j++) nodeCanvas(l + 1, j, xs[l + 1], nodeY(j)).onclick = () => select({type: 'neuron', layer: l + 1, index: j});
      const bar = document.createElement('div'); bar.className = 'neuron-bar';
      bar.style.left = (xs[l + 1] + NODE / 2 - 35) + 'px'; bar.style.top = '4px';
      const plus = document.createElement('button'); plus.textContent = '+'; plus.className = 'add-neuron'; plus.dataset.layer = l;
      const minus = document.createElement('button'); minus.textContent = '−'; minus.className = 'remove-neuron'; minus.dataset.layer = l;
      plus.onclick = () => { if (cfg.hidden[l] < MAX_NEURONS) { cfg.hidden[l]++; changedArchitecture(); } };
      minus.onclick = () => { if (cfg.hidden[l] > 1) { cfg.hidden[l]--; changedArchitecture(); } };
      const row = document.createElement('div'); row.append(plus, minus);
      const text = document.createElement('span'); text.textContent = `${n} neuron${n === 1 ? '' : 's'}`;
      bar.append(row, text); box.append(bar);
    });
    const out = nodeCanvas(layers.length - 1, 0, xs[layers.length - 1], nodeY(0));
    out.onclick = () => select({type: 'neuron', layer: layers.length - 1, index: 0});
    out.title = 'output';
    box.style.height = (TOP + Math.max(...layers) * ROW + 10) + 'px';
  }
  // heatmaps: the server sends inputs (only the used features), hidden layers, output
  s.heatmaps.forEach((col, l) => col.forEach((h, j) => {
    const index = l === 0 ? FEATURES.indexOf(cfg.features[j]) : j;
    const c = box.querySelector(`canvas.node[data-layer="${l}"][data-index="${index}"]`);
    if (c) paintHeatmap(c, h.q, s.neuron_grid, false);
  }));
  FEATURES.forEach((f, i) => {
    if (!cfg.features.includes(f)) {
      const c = box.querySelector(`canvas.node[data-layer="0"][data-index="${i}"]`);
      if (c) { const g = c.getContext('2d'); g.fillStyle = '#eee'; g.fillRect(0, 0, NODE, NODE); }
    }
  });
  drawEdges(s, xs, svg);
  markSelection();
}

function nodeCanvas(layer, index, x, y) {
  const c = document.createElement('canvas');
  c.width = c.height = NODE; c.className = 'node';
  c.dataset.layer = layer; c.dataset.index = index;
  c.style.left = x + 'px'; c.style.top = y + 'px';
  $('diagram').append(c);
  return c;
}

function drawEdges(s, xs, svg) {
  svg.innerHTML = '';
  // width and strength relative to the largest weight (at least 1), so a trained network stays readable
  const scale = Math.max(1, ...s.weights.flatMap((L) => L.w.flat().map(Math.abs)));
  s.weights.forEach((L, l) => {
    // classification: the output node shows P(blue) = softmax of two logits, so its incoming edges
    // carry the weight on the log-odds, w[blue] - w[orange]
    const rows = cfg.problem === 'classification' && l === s.weights.length - 1
      ? [L.w[1].map((w, i) => w - L.w[0][i])] : L.w;
    rows.forEach((row, j) => row.forEach((w, i) => {
      const fromIndex = l === 0 ? FEATURES.indexOf(cfg.features[i]) : i;
      const x1 = xs[l] + NODE, y1 = nodeY(fromIndex) + NODE / 2, x2 = xs[l + 1], y2 = nodeY(j) + NODE / 2;
      const mx = (x1 + x2) / 2, d = `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`;
      const p = document.createElementNS(SVG_NS, 'path');
      p.setAttribute('d', d); p.setAttribute('class', 'edge');
      const strength = Math.min(1, Math.abs(w) / scale);
      p.setAttribute('stroke', css(colour(Math.sign(w) * (0.25 + 0.75 * strength))));
      p.setAttribute('stroke-width', (0.5 + 4.5 * strength).toFixed(2));
      p.setAttribute('opacity', (0.35 + 0.65 * strength).toFixed(2));
      Object.assign(p.dataset, {layer: l, from: i, to: j, w: w});
      const hit = document.createElementNS(SVG_NS, 'path');
      hit.setAttribute('d', d); hit.setAttribute('class', 'hit');
      Object.assign(hit.dataset, {layer: l, from: i, to: j});
      hit.addEventListener('click', () => select({type: 'edge', layer: l, from: i, to: j}));
      const title = document.createElementNS(SVG_NS, 'title'); title.textContent = `weight ${w.toFixed(4)}`;
      hit.appendChild(title);
      svg.append(p, hit);
      if (selected && selected.type === 'edge' && selected.layer === l && selected.from === i && selected.to === j) {
        const mark = document.createElementNS(SVG_NS, 'path'); mark.setAttribute('d', d); mark.setAttribute('class', 'selected-edge');
        svg.append(mark);
      }
    }));
  });
}

function toggleFeature(f) {
  const on = cfg.features.includes(f);
  if (on && cfg.features.length === 1) return;  // the network needs at least one input
  cfg.features = on ? cfg.features.filter((x) => x !== f) : FEATURES.filter((x) => x === f || cfg.features.includes(x));
  selected = null; pause(); reset(false);
}

// ------------------------------------------------------------------ output: heatmap, points, loss curves

function drawOutput(s) {
  const c = $('output'), g = c.getContext('2d'), W = c.width, pad = 22, size = W - pad - 4;
  g.clearRect(0, 0, W, c.height);
  const plot = document.createElement('canvas'); plot.width = plot.height = size;
  paintHeatmap(plot, s.output.q, s.output.grid, true);
  g.drawImage(plot, pad, 4);
  const px = (x) => pad + (x + 6) / 12 * size, py = (y) => 4 + (6 - y) / 12 * size;
  g.strokeStyle = '#8a97a6'; g.fillStyle = '#6b7785'; g.font = '10px Helvetica, Arial, sans-serif';
  g.strokeRect(pad, 4, size, size);
  for (let t = -6; t <= 6; t += 2) {  // axes with ticks
    g.beginPath(); g.moveTo(px(t), 4 + size); g.lineTo(px(t), 8 + size); g.stroke();
    g.textAlign = 'center'; g.fillText(String(t), px(t), 17 + size);
    g.beginPath(); g.moveTo(pad - 4, py(t)); g.lineTo(pad, py(t)); g.stroke();
    g.textAlign = 'right'; g.fillText(String(t), pad - 6, py(t) + 3);
  }
  if (!points) return;
  const dotColour = (v) => css(colour(cfg.problem === 'classification' ? (v > 0.5 ? 1 : -1) : v));
  const draw = (list, test) => list.forEach(([x, y, v]) => {
    g.beginPath(); g.arc(px(x), py(y), 3.2, 0, 6.283);
    g.fillStyle = dotColour(v); g.fill();
    g.lineWidth = test ? 1.6 : 1; g.strokeStyle = test ? '#111' : '#fff'; g.stroke();
  });
  draw(points.train, false);
  if ($('show-test').checked) draw(points.test, true);
  const k = Number($('sample').value);
  if (points.train[k]) {
    const [x, y] = points.train[k];
    g.beginPath(); g.arc(px(x), py(y), 8, 0, 6.283); g.lineWidth = 4; g.strokeStyle = '#fff'; g.stroke();
    g.lineWidth = 2; g.strokeStyle = '#c01f6a'; g.stroke();  // the sample under the microscope
  }
}

function pickSample(ev) {
  if (!points) return;
  const c = $('output'), r = c.getBoundingClientRect(), pad = 22, size = c.width - pad - 4;
  const x = ((ev.clientX - r.left) * c.width / r.width - pad) / size * 12 - 6;
  const y = 6 - ((ev.clientY - r.top) * c.height / r.height - 4) / size * 12;
  let best = 0, bestD = Infinity;
  points.train.forEach(([a, b], i) => { const d = (a - x) ** 2 + (b - y) ** 2; if (d < bestD) { bestD = d; best = i; } });
  $('sample').value = best;
  drawOutput(snap);
  refreshInspector();
}

function niceStep(v) {  // 1, 2 or 5 times a power of ten, at least v
  const e = 10 ** Math.floor(Math.log10(v)), m = v / e;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * e;
}

function drawLossChart(s) {
  const c = $('loss-chart'), g = c.getContext('2d'), W = c.width, H = c.height;
  const left = 40, right = W - 10, top = 10, bottom = H - 30;
  g.clearRect(0, 0, W, H);
  const all = s.train_loss.concat(s.test_loss).filter(Number.isFinite);
  const stepY = niceStep(Math.max(1e-6, ...all) / 4), hi = stepY * Math.ceil(Math.max(1e-6, ...all) / stepY);
  const n = Math.max(1, s.train_loss.length - 1);
  const X = (i) => left + (right - left) * i / n, Y = (v) => bottom - (bottom - top) * Math.min(v, hi) / hi;
  g.strokeStyle = '#dde3ea'; g.fillStyle = '#6b7785'; g.font = '10px Helvetica, Arial, sans-serif'; g.lineWidth = 1;
  const digits = Math.max(0, -Math.floor(Math.log10(stepY) + 1e-9));
  for (let v = 0; v <= hi + stepY / 2; v += stepY) {
    g.beginPath(); g.moveTo(left, Y(v)); g.lineTo(right, Y(v)); g.stroke();
    g.textAlign = 'right'; g.fillText(v.toFixed(digits), left - 4, Y(v) + 3);
  }
  g.textAlign = 'center';
  const every = n <= 5 ? 1 : niceStep(n / 5);
  for (let i = 0; i <= n; i += every) {
    g.beginPath(); g.moveTo(X(i), bottom); g.lineTo(X(i), bottom + 3); g.stroke();
    g.fillText(String(i), X(i), bottom + 13);
  }
  g.fillText('epoch', (left + right) / 2, H - 3);
  g.save(); g.translate(10, (top + bottom) / 2); g.rotate(-Math.PI / 2); g.fillText('loss', 0, 0); g.restore();
  const line = (vals, colourText, dash) => {
    g.strokeStyle = colourText; g.lineWidth = 1.6; g.setLineDash(dash); g.beginPath();
    let drawing = false;
    vals.forEach((v, i) => {
      if (v === null) { drawing = false; return; }
      if (drawing) g.lineTo(X(i), Y(v)); else g.moveTo(X(i), Y(v));
      drawing = true;
    });
    g.stroke(); g.setLineDash([]);
  };
  line(s.test_loss, '#9aa5b1', [4, 3]);
  line(s.train_loss, '#1f2933', []);
  if (s.train_loss.length === 1 && s.train_loss[0] !== null) {  // before the first epoch: one dot
    g.fillStyle = '#1f2933'; g.beginPath(); g.arc(X(0), Y(s.train_loss[0]), 2.5, 0, 6.283); g.fill();
  }
  g.textAlign = 'left'; g.fillStyle = '#1f2933'; g.fillText('— train', right - 92, top + 8);
  g.fillStyle = '#8a97a6'; g.fillText('- - test', right - 44, top + 8);
}

function drawLegend() {
  const c = $('legend'), g = c.getContext('2d');
  for (let x = 0; x < c.width; x++) { g.fillStyle = css(colour(x / (c.width - 1) * 2 - 1)); g.fillRect(x, 0, 1, c.height); }
  $('legend-text').textContent = cfg.problem === 'classification' ? 'P(orange) … P(blue)' : '−1 … +1';
}

function render(s) {
  snap = s;
  const last = (a) => a[a.length - 1];
  $('epoch').textContent = String(s.epoch).padStart(6, '0').replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const shown = (v) => (v === null ? 'diverged' : v.toFixed(3));
  $('train-loss').textContent = shown(last(s.train_loss));
  $('test-loss').textContent = shown(last(s.test_loss));
  if (last(s.train_loss) === null) {
    pause();
    $('error').textContent = 'The loss is no longer a number: lower the learning rate, then reset.';
  }
  $('accuracy').textContent = s.accuracy ? `test accuracy ${(100 * s.accuracy.test).toFixed(1)}%` : '';
  drawNetwork(s); drawOutput(s); drawLossChart(s); drawLegend();
}

// ------------------------------------------------------------------ under the microscope

function select(what) { selected = what; markSelection(); refreshInspector(); if (snap) drawEdges(snap, columnsX(cfg.hidden.length + 2), $('edges')); }

function markSelection() {
  for (const c of document.querySelectorAll('canvas.node.selected')) c.classList.remove('selected');
  if (selected && selected.type === 'neuron') {
    const c = document.querySelector(`canvas.node[data-layer="${selected.layer}"][data-index="${selected.index}"]`);
    if (c) c.classList.add('selected');
  }
}

function refreshInspector() {
  if (playing) return;
  const k = Number($('sample').value);
  enqueue(async () => {
    inspected = await api('inspect', {sample: Number.isInteger(k) && k >= 0 ? k : 0});
    showInspection();
  });
}

const f6 = (v) => (v === null || v === undefined ? '—' : Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(3) : v.toFixed(5));

function showInspection() {
  const r = inspected; if (!r) return;
  const target = cfg.problem === 'classification' ? `class ${r.target === 1 ? 'blue' : 'orange'}` : `target ${f6(r.target)}`;
  $('sample-info').textContent = `point (${r.point.map((v) => v.toFixed(2)).join(', ')}), ${target}, loss ${f6(r.loss)} · epoch ${r.epoch}`;
  const rows = [];
  let title = 'Click a neuron or an edge', hot = () => false;
  const nLin = r.edges.length;
  const lin = r.trace.map((t, i) => (t.startsWith('AddmmBackward') ? i : -1)).filter((i) => i >= 0);  // (torch's name for a Linear layer's step)
  const linOf = (L) => (lin.length === nLin ? lin[nLin - L] : -1);  // the trace record of Linear layer L (1-based)
  if (selected && selected.type === 'neuron') {
    const L = r.layers[selected.layer - 1], j = selected.index, isOut = selected.layer === nLin;
    if (L && j < L.value.length) {
      title = isOut ? 'Output neuron' : `Neuron ${j + 1} of hidden layer ${selected.layer}`;
      rows.push(['pre-activation z', f6(L.pre[j])]);
      if (!isOut) rows.push([`value a = ${cfg.activation}(z)`, f6(L.value[j])]);
      if (isOut && cfg.problem === 'classification') rows.push(['logits (orange, blue)', L.pre.map(f6).join(', ')]);
      rows.push(['∂loss/∂a', f6(L.grad[j])]);
      if (!isOut) rows.push([`∂loss/∂z = ∂loss/∂a · ${cfg.activation}′(z)`, `<span class="formula">${f6(L.grad[j])} · ${f6(L.grad[j] ? L.grad_pre[j] / L.grad[j] : 0)} = ${f6(L.grad_pre[j])}</span>`]);
      const E = r.edges[selected.layer - 1];
      rows.push(['bias b', f6(biasValue(selected.layer - 1, j))]);
      rows.push(['∂loss/∂b = ∂loss/∂z', f6(E.bias_grad[j])]);
      rows.push(['last update of b (one optimiser step)', f6(E.bias_update[j])]);
      const hi = linOf(selected.layer), lo = isOut ? -1 : linOf(selected.layer + 1);
      hot = (i) => hi >= 0 && i > lo && i <= hi;
    }
  } else if (selected && selected.type === 'edge') {
    const E = r.edges[selected.layer], i = selected.from;
    let j = selected.to;
    const toOutput = cfg.problem === 'classification' && selected.layer + 1 === nLin;
    if (toOutput) j = 1;  // the blue logit's row (the orange one is shown beside it)
    if (E && E.value[j] && E.value[j][i] !== undefined) {
      const a = selected.layer === 0 ? r.input[i] : r.layers[selected.layer - 1].value[i];
      const dz = r.layers[selected.layer].grad_pre[j];
      const from = selected.layer === 0 ? FEATURE_TEXT[cfg.features[i]] : `neuron ${i + 1} of layer ${selected.layer}`;
      const to = selected.layer + 1 === nLin ? 'the output' : `neuron ${j + 1} of layer ${selected.layer + 1}`;
      title = `Weight from ${from} to ${to} (${E.name}[${j}, ${i}])`;
      if (toOutput) {
        title = `Weights from ${from} to the output (${E.name}[0..1, ${i}])`;
        rows.push(['w[blue] − w[orange] (the edge drawn)', f6(E.value[1][i] - E.value[0][i])]);
        rows.push(['∂loss/∂w[orange], ∂loss/∂w[blue]', `${f6(E.grad[0][i])}, ${f6(E.grad[1][i])}`]);
        rows.push(['last updates Δw[orange], Δw[blue]', `${f6(E.update[0][i])}, ${f6(E.update[1][i])}`]);
      }
      rows.push([`value w${toOutput ? '[blue]' : ''}`, f6(E.value[j][i])]);
      rows.push(['input a carried by this edge', f6(a)]);
      rows.push(['∂loss/∂z at its end', f6(dz)]);
      rows.push(['∂loss/∂w = ∂loss/∂z · a', `<span class="formula">${f6(dz)} · ${f6(a)} = ${f6(dz * a)}</span>`]);
      rows.push(['∂loss/∂w from backward()', f6(E.grad[j][i])]);
      rows.push(['last update Δw (one optimiser step)', f6(E.update[j][i])]);
      const at = linOf(selected.layer + 1);
      hot = (i) => i === at;
    }
  }
  $('detail-title').textContent = title;
  $('detail').innerHTML = rows.length ? '<table>' + rows.map(([k, v]) => `<tr><td>${k}</td><td>${v}</td></tr>`).join('') + '</table>' : '';
  const trace = $('trace'); trace.innerHTML = '';
  r.trace.forEach((t, i) => {
    const pre = document.createElement('pre'); pre.textContent = t;
    if (hot(i)) pre.className = 'hot';
    trace.append(pre);
  });
  drawGraph(r.graph);
}

function biasValue(layer, j) { return snap ? snap.weights[layer].b[j] : 0; }

function drawGraph(graph) {
  const svg = $('graph'); svg.innerHTML = '';
  if (!graph.nodes.length) { const t = document.createElementNS(SVG_NS, 'text'); t.setAttribute('x', 4); t.setAttribute('y', 14); t.textContent = graph.error || 'no graph'; svg.append(t); return; }
  const parents = {}; graph.edges.forEach(([a, b]) => { (parents[b] = parents[b] || []).push(a); });
  const depth = {}; const root = graph.nodes[0].id; depth[root] = 0;
  const order = [root];
  for (let k = 0; k < order.length; k++) for (const p of parents[order[k]] || []) {  // longest path from the loss
    const d = depth[order[k]] + 1;
    if (depth[p] === undefined || depth[p] < d) { depth[p] = d; order.push(p); }
  }
  const rows = {}; graph.nodes.forEach((n) => { const d = depth[n.id] || 0; (rows[d] = rows[d] || []).push(n); });
  const bw = 118, bh = 46, gapX = 12, gapY = 26;
  const widest = Math.max(...Object.values(rows).map((r) => r.length));
  const W = Math.max(360, widest * (bw + gapX)), nRows = Object.keys(rows).length;
  svg.setAttribute('viewBox', `0 0 ${W} ${nRows * (bh + gapY)}`);
  svg.style.height = Math.min(640, nRows * (bh + gapY)) + 'px';
  const pos = {};
  Object.entries(rows).forEach(([d, list]) => list.forEach((n, i) => {
    const x = W / 2 + (i - (list.length - 1) / 2) * (bw + gapX) - bw / 2;
    pos[n.id] = [x, (nRows - 1 - Number(d)) * (bh + gapY) + 4];
  }));
  graph.edges.forEach(([a, b]) => {
    if (!pos[a] || !pos[b]) return;
    const l = document.createElementNS(SVG_NS, 'line');
    l.setAttribute('x1', pos[a][0] + bw / 2); l.setAttribute('y1', pos[a][1]);
    l.setAttribute('x2', pos[b][0] + bw / 2); l.setAttribute('y2', pos[b][1] + bh);
    svg.append(l);
  });
  graph.nodes.forEach((n) => {
    const [x, y] = pos[n.id];
    const rect = document.createElementNS(SVG_NS, 'rect');
    rect.setAttribute('x', x); rect.setAttribute('y', y); rect.setAttribute('width', bw); rect.setAttribute('height', bh); rect.setAttribute('rx', n.leaf ? 14 : 3);
    const lines = n.label.split('\n');
    rect.setAttribute('class', n.leaf ? (/weight|bias/.test(lines[0]) ? 'param' : 'leaf') : 'op');
    const text = document.createElementNS(SVG_NS, 'text');
    lines.slice(0, 3).forEach((line, i) => {
      const t = document.createElementNS(SVG_NS, 'tspan'); t.setAttribute('x', x + 6); t.setAttribute('y', y + 13 + i * 12);
      t.textContent = line.length > 20 ? line.slice(0, 19) + '…' : line; if (i === 0) t.setAttribute('font-weight', '600');
      text.append(t);
    });
    const title = document.createElementNS(SVG_NS, 'title'); title.textContent = n.label;
    svg.append(rect, text); rect.append(title);
  });
}

// ------------------------------------------------------------------ start

setupControls();
syncControls();
reset(false);
