#!/usr/bin/env node
// Draws Hearth's icon — a brick hearth with a flame, on a night-blue tile — and writes every
// file packaging needs: build/icon.svg, build/icon.png (1024 px), build/icons/NxN.png (Linux),
// build/icon.ico (Windows), build/icon.icns (macOS) and the tray icons in build/tray/.
//
// It uses nothing but Node: the shapes are SVG path data (M, L, C, Z only), written as-is into
// the SVG and rasterised here with an anti-aliased scanline filler, so the SVG and the PNGs
// always match. Run it after changing a shape: `node build/make-icons.mjs`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const buildDir = dirname(fileURLToPath(import.meta.url));

// The drawing, on a 512 × 512 grid. Quarter circles are cubic curves (k = 0.5523 r).
const shapes = {
  tile: 'M 128 32 L 384 32 C 437 32 480 75 480 128 L 480 384 C 480 437 437 480 384 480 L 128 480 C 75 480 32 437 32 384 L 32 128 C 32 75 75 32 128 32 Z',
  bricks: 'M 120 420 L 120 256 C 120 181 181 120 256 120 C 331 120 392 181 392 256 L 392 420 Z',
  opening: 'M 164 420 L 164 256 C 164 205 205 164 256 164 C 307 164 348 205 348 256 L 348 420 Z',
  slab: 'M 96 404 L 416 404 C 425 404 432 411 432 420 L 432 428 C 432 437 425 444 416 444 L 96 444 C 87 444 80 437 80 428 L 80 420 C 80 411 87 404 96 404 Z',
  flame:
    'M 256 196 C 290 244 322 280 322 336 C 322 376 294 404 256 404 C 218 404 190 376 190 336 C 190 300 208 276 226 256 C 228 276 236 290 248 298 C 244 262 244 228 256 196 Z',
  core: 'M 256 286 C 276 316 292 336 292 360 C 292 386 276 402 256 402 C 236 402 220 386 220 360 C 220 336 236 316 256 286 Z',
};

const colors = {
  tile: '#243049',
  bricks: '#c8553d',
  opening: '#2b1b17',
  slab: '#e8d5b5',
  flame: '#ff9f1c',
  core: '#ffe08a',
};

/** The full icon: layers painted in order. */
const iconLayers = [
  { path: shapes.tile, color: colors.tile },
  { path: shapes.bricks, color: colors.bricks },
  { path: shapes.opening, color: colors.opening },
  { path: shapes.slab, color: colors.slab },
  { path: shapes.flame, color: colors.flame },
  { path: shapes.core, color: colors.core },
];

// The tray shows the flame alone, scaled to fill its square (the flame spans x 190-322, y 196-404).
const flameBox = { x: 190, y: 196, width: 132, height: 208 };
const trayLayers = [
  { path: shapes.flame, color: colors.flame },
  { path: shapes.core, color: colors.core },
];
// macOS menu-bar "template" images: black and alpha only; the core is cut out of the flame.
const templateLayers = [
  { path: shapes.flame, color: '#000000' },
  { path: shapes.core, color: '#000000', erase: true },
];

function main() {
  writeFileSync(join(buildDir, 'icon.svg'), svg(iconLayers, { x: 0, y: 0, width: 512, height: 512 }));
  const full = new Map();
  for (const size of [16, 24, 32, 48, 64, 128, 256, 512, 1024]) full.set(size, png(render(iconLayers, size, fullView)));

  writeFileSync(join(buildDir, 'icon.png'), full.get(1024));
  mkdirSync(join(buildDir, 'icons'), { recursive: true });
  for (const size of [16, 32, 48, 64, 128, 256, 512]) writeFileSync(join(buildDir, 'icons', `${size}x${size}.png`), full.get(size));
  writeFileSync(join(buildDir, 'icon.ico'), ico([16, 24, 32, 48, 64, 128, 256].map((size) => ({ size, data: full.get(size) }))));
  writeFileSync(
    join(buildDir, 'icon.icns'),
    icns([
      ['icp4', 16], ['icp5', 32], ['icp6', 64], ['ic07', 128], ['ic08', 256], ['ic09', 512], ['ic10', 1024],
      ['ic11', 32], ['ic12', 64], ['ic13', 256], ['ic14', 512],
    ].map(([type, size]) => ({ type, data: full.get(size) }))),
  );

  mkdirSync(join(buildDir, 'tray'), { recursive: true });
  const trayView = paddedView(flameBox, 1 / 16);
  writeFileSync(join(buildDir, 'tray', 'tray.svg'), svg(trayLayers, trayView));
  writeFileSync(join(buildDir, 'tray', 'tray.png'), png(render(trayLayers, 16, trayView)));
  writeFileSync(join(buildDir, 'tray', 'tray@2x.png'), png(render(trayLayers, 32, trayView)));
  // Linux panels draw tray icons at 22-32 px whatever the scale factor: one 32 px image.
  writeFileSync(join(buildDir, 'tray', 'tray-linux.png'), png(render(trayLayers, 32, trayView)));
  writeFileSync(join(buildDir, 'tray', 'trayTemplate.png'), png(render(templateLayers, 16, trayView)));
  writeFileSync(join(buildDir, 'tray', 'trayTemplate@2x.png'), png(render(templateLayers, 32, trayView)));
  process.stdout.write(`icons written to ${buildDir}\n`);
}

const fullView = { x: 0, y: 0, width: 512, height: 512 };

/** A square view around a box, with a margin given as a fraction of the side. */
function paddedView(box, margin) {
  const side = Math.max(box.width, box.height) / (1 - 2 * margin);
  return { x: box.x + box.width / 2 - side / 2, y: box.y + box.height / 2 - side / 2, width: side, height: side };
}

function svg(layers, view) {
  const paths = [];
  for (const layer of layers) {
    if (layer.erase) continue; // drawn below as an even-odd hole instead
    const hole = layers.find((l) => l.erase);
    const d = hole && layer === layers[0] ? `${layer.path} ${hole.path}` : layer.path;
    paths.push(`  <path fill="${layer.color}"${hole && layer === layers[0] ? ' fill-rule="evenodd"' : ''} d="${d}"/>`);
  }
  const box = [view.x, view.y, view.width, view.height].map((n) => +n.toFixed(3)).join(' ');
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="${box}" width="512" height="512">\n  <title>Hearth</title>\n${paths.join('\n')}\n</svg>\n`;
}

// --- Rasterising -------------------------------------------------------------------------

/** Path data -> closed polygons (arrays of [x, y]) in view units. */
function polygons(d, segmentsPerCurve = 48) {
  const tokens = d.trim().split(/[\s,]+/);
  const result = [];
  let current = [];
  let i = 0;
  const num = () => Number(tokens[i++]);
  while (i < tokens.length) {
    const command = tokens[i++];
    if (command === 'M') {
      if (current.length) result.push(current);
      current = [[num(), num()]];
    } else if (command === 'L') {
      current.push([num(), num()]);
    } else if (command === 'C') {
      const [x0, y0] = current[current.length - 1];
      const x1 = num(), y1 = num(), x2 = num(), y2 = num(), x3 = num(), y3 = num();
      for (let s = 1; s <= segmentsPerCurve; s++) {
        const t = s / segmentsPerCurve;
        const u = 1 - t;
        current.push([
          u * u * u * x0 + 3 * u * u * t * x1 + 3 * u * t * t * x2 + t * t * t * x3,
          u * u * u * y0 + 3 * u * u * t * y1 + 3 * u * t * t * y2 + t * t * t * y3,
        ]);
      }
    } else if (command === 'Z') {
      result.push(current);
      current = [];
    } else {
      throw new Error(`unsupported path command ${command}`);
    }
  }
  if (current.length) result.push(current);
  return result;
}

/** Coverage (0..1) of each pixel by a path, non-zero rule: exact across, 16 samples down. */
function coverage(d, size, view) {
  const rows = 16;
  const scale = size / view.width;
  const edges = [];
  for (const polygon of polygons(d)) {
    for (let k = 0; k < polygon.length; k++) {
      const [ax, ay] = polygon[k];
      const [bx, by] = polygon[(k + 1) % polygon.length];
      const a = [(ax - view.x) * scale, (ay - view.y) * scale];
      const b = [(bx - view.x) * scale, (by - view.y) * scale];
      if (a[1] === b[1]) continue;
      edges.push(a[1] < b[1] ? { x0: a[0], y0: a[1], x1: b[0], y1: b[1], winding: 1 } : { x0: b[0], y0: b[1], x1: a[0], y1: a[1], winding: -1 });
    }
  }
  const cover = new Float64Array(size * size);
  for (let py = 0; py < size; py++) {
    for (let r = 0; r < rows; r++) {
      const y = py + (r + 0.5) / rows;
      const crossings = [];
      for (const e of edges) {
        if (y < e.y0 || y >= e.y1) continue;
        crossings.push({ x: e.x0 + ((y - e.y0) / (e.y1 - e.y0)) * (e.x1 - e.x0), winding: e.winding });
      }
      crossings.sort((p, q) => p.x - q.x);
      let winding = 0;
      for (let c = 0; c < crossings.length - 1; c++) {
        winding += crossings[c].winding;
        if (winding !== 0) addSpan(cover, py * size, size, crossings[c].x, crossings[c + 1].x, 1 / rows);
      }
    }
  }
  return cover;
}

function addSpan(cover, rowStart, size, from, to, weight) {
  const a = Math.max(0, from);
  const b = Math.min(size, to);
  if (b <= a) return;
  const first = Math.floor(a);
  const last = Math.min(size - 1, Math.floor(b));
  if (first === last) {
    cover[rowStart + first] += (b - a) * weight;
    return;
  }
  cover[rowStart + first] += (first + 1 - a) * weight;
  for (let x = first + 1; x < last; x++) cover[rowStart + x] += weight;
  if (last < size) cover[rowStart + last] += (b - last) * weight;
}

/** Paints the layers into premultiplied RGBA floats, then returns straight 8-bit RGBA. */
function render(layers, size, view) {
  const pixels = new Float64Array(size * size * 4);
  for (const layer of layers) {
    const cover = coverage(layer.path, size, view);
    const [r, g, b] = [1, 3, 5].map((at) => parseInt(layer.color.slice(at, at + 2), 16) / 255);
    for (let p = 0; p < size * size; p++) {
      const alpha = Math.min(1, cover[p]);
      if (alpha === 0) continue;
      const o = p * 4;
      if (layer.erase) {
        for (let c = 0; c < 4; c++) pixels[o + c] *= 1 - alpha;
        continue;
      }
      pixels[o] = r * alpha + pixels[o] * (1 - alpha);
      pixels[o + 1] = g * alpha + pixels[o + 1] * (1 - alpha);
      pixels[o + 2] = b * alpha + pixels[o + 2] * (1 - alpha);
      pixels[o + 3] = alpha + pixels[o + 3] * (1 - alpha);
    }
  }
  const out = Buffer.alloc(size * size * 4);
  for (let p = 0; p < size * size; p++) {
    const o = p * 4;
    const alpha = pixels[o + 3];
    for (let c = 0; c < 3; c++) out[o + c] = alpha > 0 ? Math.round(Math.min(1, pixels[o + c] / alpha) * 255) : 0;
    out[o + 3] = Math.round(alpha * 255);
  }
  return { size, rgba: out };
}

// --- File formats ------------------------------------------------------------------------

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buffer) {
  let c = 0xffffffff;
  for (const byte of buffer) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** PNG (RFC 2083): 8-bit RGBA, no interlace, filter type 0 on every row. */
function png({ size, rgba }) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // colour type: RGBA
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) rgba.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** ICO with PNG-compressed images (Windows Vista and later). */
function ico(images) {
  const header = Buffer.alloc(6);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2); // type: icon
  header.writeUInt16LE(images.length, 4);
  let offset = 6 + 16 * images.length;
  const entries = images.map(({ size, data }) => {
    const entry = Buffer.alloc(16);
    entry[0] = size >= 256 ? 0 : size;
    entry[1] = size >= 256 ? 0 : size;
    entry.writeUInt16LE(1, 4); // colour planes
    entry.writeUInt16LE(32, 6); // bits per pixel
    entry.writeUInt32LE(data.length, 8);
    entry.writeUInt32LE(offset, 12);
    offset += data.length;
    return entry;
  });
  return Buffer.concat([header, ...entries, ...images.map((i) => i.data)]);
}

/** ICNS with PNG-encoded members. */
function icns(members) {
  const parts = members.map(({ type, data }) => {
    const head = Buffer.alloc(8);
    head.write(type, 0, 'ascii');
    head.writeUInt32BE(data.length + 8, 4);
    return Buffer.concat([head, data]);
  });
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'ascii');
  head.writeUInt32BE(8 + parts.reduce((n, p) => n + p.length, 0), 4);
  return Buffer.concat([head, ...parts]);
}

main();
