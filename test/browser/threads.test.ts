// poolkit in a real browser (Debian's headless Chromium, driven by playwright-core): on a
// crossOriginIsolated page (COOP + COEP headers) the kernels run over shared memory, worker
// threads start from a Blob URL, and pooling gives the same bits at 1 and 2 threads; on a page
// without those headers everything still works, on one thread. Skipped where no Chromium is
// installed (CI installs none).

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
const root = path.resolve('.');

// The page imports poolkit's browser build (dist/index.js, no Node entry; an import map finds
// its one dependency) and reports back.
const PAGE = `<!doctype html><meta charset="utf-8">
<script type="importmap">{ "imports": { "fflate": "/node_modules/fflate/esm/browser.js" } }</script>
<script type="module">
import * as pk from '/dist/index.js';
import { activeThreads } from '/dist/threads/pool.js';
window.result = (async () => {
  const simd = await pk.initWasm();
  const isolated = globalThis.crossOriginIsolated === true;
  const shape = [8, 16, 64, 64];
  const run = () => pk.scope(() => {
    const x = pk.zeros(shape, { requiresGrad: true });
    for (let i = 0; i < x.size; i++) x.data[i] = Math.sin(i * 0.731) * 5;
    x.data[5] = NaN;
    const y = pk.maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1 });
    pk.sum(y).backward();
    return [Array.from(y.data), Array.from(x.grad.data)];
  });
  pk.setNumThreads(1);
  const one = run();
  pk.setNumThreads(2);
  run(); // spawns the worker
  for (let i = 0; i < 500 && activeThreads() < 2; i++) await new Promise((r) => setTimeout(r, 10));
  const active = activeThreads();
  const two = run();
  const same = (a, b) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
  return { simd, isolated, threads: pk.getNumThreads(), active, same: same(one[0], two[0]) && same(one[1], two[1]), n: one[0].length };
})().catch((e) => ({ error: String(e && e.stack || e) }));
</script>`;

function serve(isolated: boolean): Promise<Server> {
  const server = createServer((req, res) => {
    const headers: Record<string, string> = isolated
      ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } : {};
    const url = (req.url ?? '/').split('?')[0]!;
    if (url === '/') {
      res.writeHead(200, { ...headers, 'Content-Type': 'text/html' }).end(PAGE);
      return;
    }
    if (url === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    const file = path.join(root, path.normalize(url));
    if (!file.startsWith(root) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Type': file.endsWith('.js') ? 'text/javascript' : 'application/octet-stream' }).end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('in Chromium', { skip: !existsSync(CHROMIUM) && `no Chromium at ${CHROMIUM}` }, () => {
  let browser: Browser;
  before(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
  });
  after(async () => {
    await browser?.close();
  });

  async function resultOn(isolated: boolean): Promise<Record<string, unknown>> {
    const server = await serve(isolated);
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      await page.waitForFunction(() => (globalThis as unknown as { result?: unknown }).result !== undefined, undefined, { timeout: 30000 });
      const r = await page.evaluate(() => (globalThis as unknown as { result: Promise<Record<string, unknown>> }).result);
      await page.close();
      assert.deepEqual(errors, [], 'the page reported errors');
      return r;
    } finally {
      server.close();
    }
  }

  test('a crossOriginIsolated page: two threads, the same bits as one', { timeout: 60000 }, async () => {
    const r = await resultOn(true);
    assert.equal(r.error, undefined, String(r.error));
    assert.deepEqual({ simd: r.simd, isolated: r.isolated, threads: r.threads, active: r.active, same: r.same },
      { simd: true, isolated: true, threads: 2, active: 2, same: true });
    assert.equal(r.n, 8 * 16 * 32 * 32);
  });

  test('a page without isolation: one thread, and the kernels still run', { timeout: 60000 }, async () => {
    const r = await resultOn(false);
    assert.equal(r.error, undefined, String(r.error));
    assert.deepEqual({ simd: r.simd, isolated: r.isolated, threads: r.threads, same: r.same }, { simd: true, isolated: false, threads: 1, same: true });
  });
});
