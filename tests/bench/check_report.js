// Opens an HTML benchmark report (ipfs-accelerate report --format html) in headless Chromium and
// checks what a person would see: no errors, no network, the three charts drawn with enough
// marks, one table row per result, no chart text cut off or overlapping.
//
//   NODE_PATH=.deps/npm/node_modules node tests/bench/check_report.js REPORT.html [SHOT.png]
//
// Prints one line of JSON and exits 0, or prints the problems and exits 1.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { pathToFileURL } = require('url');
const { chromium } = require('playwright-core');

const CHARTS = ['latency-distribution', 'throughput-batch', 'run-comparison'];

async function main() {
  const [reportArg, shotArg] = process.argv.slice(2);
  if (!reportArg) {
    console.error('usage: check_report.js REPORT.html [SCREENSHOT.png]');
    return 2;
  }
  const file = path.resolve(reportArg);
  if (!fs.existsSync(file)) {
    console.error(`no such file: ${file}`);
    return 2;
  }
  const url = pathToFileURL(file).href;
  const problems = [];
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ia-check-report-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 900 },
    });
    const page = context.pages()[0] || (await context.newPage());
    const requests = [];
    page.on('request', (req) => {
      if (req.url() !== url) requests.push(req.url());
    });
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
    });
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    await page.goto(url, { waitUntil: 'load' });

    const facts = await page.evaluate((charts) => {
      const out = { charts: {}, overlaps: [], cut: [] };
      const table = document.querySelector('table.summary');
      out.tableRows = table ? table.querySelectorAll('tbody tr[data-samples]').length : -1;
      out.declaredResults = table ? Number(table.dataset.resultCount) : -1;
      // Tables: every body row has as many cells as the head has columns.
      out.ragged = [];
      for (const t of document.querySelectorAll('table')) {
        const heads = t.querySelectorAll('thead th').length;
        t.querySelectorAll('tbody tr').forEach((tr, i) => {
          const cells = [...tr.children].reduce((n, td) => n + (Number(td.colSpan) || 1), 0);
          if (heads && cells !== heads) out.ragged.push(`${t.className} row ${i + 1}: ${cells} cells, ${heads} columns`);
        });
      }
      out.samples = [...document.querySelectorAll('table.summary tbody tr[data-samples]')]
        .reduce((sum, tr) => sum + Number(tr.dataset.samples), 0);
      for (const name of charts) {
        const svgs = document.querySelectorAll(`svg[data-chart="${name}"]`);
        if (svgs.length !== 1) {
          out.charts[name] = { count: svgs.length };
          continue;
        }
        const svg = svgs[0];
        const box = svg.getBoundingClientRect();
        const marks = svg.querySelectorAll('circle, rect, path, line, polyline, ellipse').length;
        const c = {
          count: 1,
          width: Math.round(box.width),
          height: Math.round(box.height),
          marks,
          points: svg.querySelectorAll('circle.pt').length,
          title: (svg.querySelector(':scope > title') || {}).textContent || '',
          groups: svg.querySelectorAll('g[data-config]').length,
        };
        out.charts[name] = c;
        // Text must lie inside the chart and not overlap other text.
        const texts = [...svg.querySelectorAll('text')].map((t) => ({
          text: t.textContent.trim(),
          r: t.getBoundingClientRect(),
        })).filter((t) => t.text && t.r.width > 0);
        for (const t of texts) {
          if (t.r.left < box.left - 1 || t.r.right > box.right + 1 ||
              t.r.top < box.top - 1 || t.r.bottom > box.bottom + 1) {
            out.cut.push(`${name}: "${t.text}"`);
          }
        }
        for (let i = 0; i < texts.length; ++i) {
          for (let j = i + 1; j < texts.length; ++j) {
            const a = texts[i].r, b = texts[j].r;
            // Glyph boxes include line spacing: allow 2 px of vertical slack.
            const dx = Math.min(a.right, b.right) - Math.max(a.left, b.left);
            const dy = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
            if (dx > 1 && dy > 2) out.overlaps.push(`${name}: "${texts[i].text}" / "${texts[j].text}"`);
          }
        }
      }
      out.pageWidth = document.documentElement.scrollWidth;
      out.viewportWidth = window.innerWidth;
      return out;
    }, CHARTS);

    for (const name of CHARTS) {
      const c = facts.charts[name];
      if (!c || c.count !== 1) {
        problems.push(`expected one svg[data-chart="${name}"], found ${c ? c.count : 0}`);
        continue;
      }
      if (!(c.width > 0 && c.height > 0)) problems.push(`${name}: empty bounding box`);
      if (!c.title) problems.push(`${name}: no <title>`);
    }
    const lat = facts.charts['latency-distribution'];
    const tp = facts.charts['throughput-batch'];
    const rc = facts.charts['run-comparison'];
    if (facts.tableRows < 1) problems.push('summary table has no result rows');
    if (facts.tableRows !== facts.declaredResults) {
      problems.push(`summary table: ${facts.tableRows} rows for ${facts.declaredResults} results`);
    }
    if (lat && lat.count === 1) {
      if (lat.points < facts.samples) {
        problems.push(`latency chart: ${lat.points} points for ${facts.samples} samples`);
      }
      if (lat.groups !== facts.tableRows) {
        problems.push(`latency chart: ${lat.groups} configurations, table has ${facts.tableRows}`);
      }
      // Per configuration at least a box, a median, two whiskers and the axis.
      if (lat.marks < facts.samples + 5 * facts.tableRows) {
        problems.push(`latency chart: only ${lat.marks} marks`);
      }
    }
    if (tp && tp.count === 1 && tp.marks < facts.tableRows) {
      problems.push(`throughput chart: ${tp.marks} marks for ${facts.tableRows} results`);
    }
    if (rc && rc.count === 1 && rc.groups !== facts.tableRows) {
      problems.push(`run comparison: ${rc.groups} configurations, table has ${facts.tableRows}`);
    }
    if (rc && rc.count === 1 && rc.marks < facts.tableRows) {
      problems.push(`run comparison: only ${rc.marks} marks`);
    }
    for (const r of facts.ragged) problems.push(`table: ${r}`);
    for (const c of facts.cut) problems.push(`text outside its chart: ${c}`);
    for (const o of facts.overlaps.slice(0, 20)) problems.push(`overlapping text: ${o}`);
    if (facts.pageWidth > facts.viewportWidth + 1) {
      problems.push(`page scrolls sideways: ${facts.pageWidth} px in ${facts.viewportWidth} px`);
    }
    if (shotArg) await page.screenshot({ path: path.resolve(shotArg), fullPage: true });
    if (requests.length) problems.push(`network requests besides the file: ${requests.join(', ')}`);

    if (problems.length) {
      console.log(`check_report: ${problems.length} problem(s) in ${file}`);
      for (const p of problems) console.log(`  ${p}`);
      return 1;
    }
    console.log(JSON.stringify({
      ok: true,
      file,
      results: facts.tableRows,
      samples: facts.samples,
      charts: facts.charts,
      requests: requests.length,
      screenshot: shotArg ? path.resolve(shotArg) : null,
    }));
    return 0;
  } finally {
    if (context) await context.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code), (err) => {
  console.log(`check_report: ${err && err.stack ? err.stack : err}`);
  process.exit(1);
});
