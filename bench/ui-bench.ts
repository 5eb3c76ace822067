/// <reference lib="dom" />
/**
 * `npm run bench:ui`: the console in real Chromium against the real stack (dev server, in-process
 * workers, the API serving the built UI). Measures a 500-step run graph's render, the runs list
 * scrolling 10,000 runs, the initial bundle's gzipped size, and how long a step's status change takes
 * from the API's delta (`sentAt`) to the frame that shows it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { io } from 'socket.io-client';
import type { RunDeltaEvent } from '../src/api/live-events';
import { runStartOptions } from '../src/api/run-start';
import { uiDist } from '../src/api/ui-static';
import { parseSpec } from '../src/engine/spec-validation';
import { isClosed, postJson, waitForRun } from '../tests/helpers/harness';
import { launchChromium, startUiStack } from '../tests/ui/ui-stack';
import { percentile, table } from './bench-support';

const RUNS = 10_000;
const GRAPH_STEPS = 500;
/** Starts in flight at once while the 10,000 idle runs are made: a pool, not batches that wait for their slowest. */
const START_CONCURRENCY = 64;

/**
 * Scrolls the runs list from top to bottom over 240 frames and answers the frames per second. A string,
 * not a function: tsx compiles functions with esbuild's name helpers (`__name`), which the page lacks.
 */
const SCROLL_FPS = `new Promise((resolve) => {
  const element = document.querySelector('[data-testid="runs-scroll"]');
  element.scrollTo(0, 0);
  const frames = 240;
  const step = (element.scrollHeight - element.clientHeight) / frames;
  let frame = 0;
  let first = 0;
  function tick(time) {
    if (frame === 0) first = time;
    frame += 1;
    element.scrollTop = frame * step;
    if (frame < frames) requestAnimationFrame(tick);
    else resolve(((frames - 1) * 1000) / (time - first));
  }
  requestAnimationFrame(tick);
})`;

/**
 * Ends the graph's timing at the first frame in which every step node is on screen (React Flow shows a
 * node once it is measured) with its status: the time from `run-graph:start` (the graph's first
 * render) to then, in `window.graphShown` (a string: see above).
 */
const GRAPH_SHOWN = `(() => {
  function frame() {
    const start = performance.getEntriesByName('run-graph:start')[0];
    if (start) {
      const shown = [...document.querySelectorAll('.react-flow__node [data-step-status]')].filter(
        (element) => element.closest('.react-flow__node').style.visibility !== 'hidden',
      ).length;
      if (shown >= ${GRAPH_STEPS}) {
        // The frame after: the one that drew them has been painted by then.
        requestAnimationFrame(() => (window.graphShown = performance.now() - start.startTime));
        return;
      }
    }
    requestAnimationFrame(frame);
  }
  requestAnimationFrame(frame);
})()`;

/** Records, per `step:status`, the frame after the node's status attribute changed (a string: see above). */
const PAINT_OBSERVER = `(() => {
  const seen = {};
  window.paints = seen;
  new MutationObserver((mutations) => {
    const changed = mutations
      .map((mutation) => mutation.target)
      .filter((element) => element.hasAttribute('data-step-id'))
      .map((element) => element.getAttribute('data-step-id') + ':' + element.getAttribute('data-step-status'));
    requestAnimationFrame(() => {
      const at = performance.timeOrigin + performance.now();
      for (const key of changed) if (seen[key] === undefined) seen[key] = at;
    });
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-step-status'] });
})()`;

const began = Date.now();
/** Where the bench is, on stderr, so a slow machine shows progress rather than silence. */
function progress(message: string): void {
  console.error(`[ui-bench ${((Date.now() - began) / 1000).toFixed(0)}s] ${message}`);
}

/** Runs `task(index)` for 0..count-1 with at most `limit` in flight. */
async function pool(count: number, limit: number, task: (index: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      await task(index);
      if ((index + 1) % 1000 === 0) progress(`${index + 1} of ${count} started`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
}

/** What the browser downloads before the first page shows: index.html, its entry script and styles. */
function initialBundleGzKb(): number {
  const html = readFileSync(join(uiDist, 'index.html'), 'utf8');
  const files = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map((match) => match[1]!);
  const bytes = [html, ...files.map((file) => readFileSync(join(uiDist, file)))].reduce(
    (sum, content) => sum + gzipSync(content).length,
    0,
  );
  return bytes / 1024;
}

/** Layers of ten noop steps, each depending on one or two steps of the layer before. */
function bigSpec(steps: number) {
  return {
    name: 'big',
    maxParallel: 50,
    steps: Array.from({ length: steps }, (_, index) => ({
      id: `s${index}`,
      kind: 'tool',
      tool: 'noop',
      dependsOn: index < 10 ? [] : [`s${index - 10}`, ...(index % 10 ? [`s${index - 11}`] : [])],
    })),
  };
}

function chainSpec(steps: number) {
  return {
    name: 'chain',
    steps: Array.from({ length: steps }, (_, index) => ({
      id: `c${index}`,
      kind: 'tool',
      tool: 'shell',
      // The first step waits for the page and the socket to be watching; the rest are timed.
      with: { run: index === 0 ? 'sleep 5' : 'sleep 0.3' },
      ...(index > 0 && { dependsOn: [`c${index - 1}`] }),
    })),
  };
}

async function main() {
  const stack = await startUiStack('ui bench');
  const browser = await launchChromium();
  const base = stack.ui.baseUrl;
  const rows: string[][] = [['measure', 'value', 'target']];
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    progress('stack up; drawing the 500-step graph');

    // 1. A 500-step run graph.
    // Started on a queue no worker polls: the page draws all 500 steps from the run's spec (pending),
    // which is the graph's whole rendering cost, without waiting for the engine to run 500 steps.
    const bigSpecParsed = parseSpec(bigSpec(GRAPH_STEPS));
    if (!bigSpecParsed.ok)
      throw new Error(`the 500-step spec is invalid: ${JSON.stringify(bigSpecParsed.issues)}`);
    const bigId = 'big-graph';
    const { workflowType: bigType, ...bigStart } = runStartOptions(stack.ui.config, bigSpecParsed.spec, {});
    await stack.env.client.workflow.start(bigType, {
      ...bigStart,
      taskQueue: 'ui-bench-idle',
      workflowId: bigId,
    });
    const renders: number[] = [];
    await page.addInitScript(GRAPH_SHOWN);
    for (let round = 0; round < 3; round += 1) {
      await page.goto(`${base}/runs/${bigId}`);
      await page.waitForFunction(() => (window as unknown as { graphShown?: number }).graphShown, null, {
        timeout: 60_000,
      });
      const nodes = await page.locator('[data-step-id]').count();
      if (nodes !== GRAPH_STEPS) throw new Error(`the graph showed ${nodes} of ${GRAPH_STEPS} steps`);
      renders.push(await page.evaluate(() => (window as unknown as { graphShown: number }).graphShown));
    }
    const render = [...renders.slice(1)].sort((a, b) => a - b)[0]!; // the better of the two warm rounds
    progress(`graph rendered in ${renders.map((ms) => ms.toFixed(0)).join(', ')} ms; timing deltas`);
    rows.push([
      `run graph render (${GRAPH_STEPS} steps), best of 2 warm`,
      `${render.toFixed(0)} ms`,
      '< 500 ms',
    ]);

    // 2. Delta to paint: a chain of steps, each change timed from the API's sentAt to the frame showing it.
    // The observer is in the page from its first script on, so no change is missed while it loads.
    await page.addInitScript(PAINT_OBSERVER);
    const chain = await postJson(`${base}/api/runs`, { spec: chainSpec(20) });
    const chainId = (chain.body as { runId: string }).runId;
    const sent: Record<string, number> = {};
    const socket = io(base, { transports: ['websocket'] });
    socket.on('run:delta', (delta: RunDeltaEvent) => {
      for (const step of delta.steps) sent[`${step.id}:${step.status}`] ??= delta.sentAt;
    });
    socket.emit('subscribe', { runId: chainId });
    await page.goto(`${base}/runs/${chainId}`);
    await waitForRun(stack.ui, chainId, isClosed, 120_000);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    socket.close();
    const paints = await page.evaluate(
      () => (window as unknown as { paints: Record<string, number> }).paints,
    );
    const delays = Object.entries(sent)
      .filter(([key]) => paints[key] !== undefined)
      .map(([key, at]) => paints[key]! - at)
      .sort((a, b) => a - b);
    const deltaP95 = percentile(delays, 95);
    rows.push([`delta to paint p95 (${delays.length} changes)`, `${deltaP95.toFixed(0)} ms`, '< 150 ms']);
    progress(
      `delta to paint p95 ${deltaP95.toFixed(0)} ms (${Object.keys(sent).length} sent, ${Object.keys(paints).length} painted); starting ${RUNS} idle runs`,
    );

    // 3. 10,000 runs in the list: started on a queue no worker polls, so they stay listed as running.
    const spec = parseSpec({ name: 'idle', steps: [{ id: 'a', kind: 'tool', tool: 'noop' }] });
    if (!spec.ok) throw new Error('the idle spec is invalid');
    const options = runStartOptions(stack.ui.config, spec.spec, {});
    const { workflowType, ...start } = options;
    // A busy dev server times some starts out; each is tried again, and one that did start counts.
    const startIdle = async (index: number, tries = 5): Promise<unknown> => {
      try {
        return await stack.env.client.workflow.start(workflowType, {
          ...start,
          taskQueue: 'ui-bench-idle',
          workflowId: `idle-${index}`,
        });
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) return undefined;
        if (tries <= 1) throw err;
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        return startIdle(index, tries - 1);
      }
    };
    await pool(RUNS, START_CONCURRENCY, (index) => startIdle(index));
    progress('loading the list, a page at a time, by scrolling');
    await page.goto(`${base}/runs?status=running`);
    const scroller = page.getByTestId('runs-scroll');
    await scroller.waitFor();
    const loaded = () => page.locator('[data-run-id]').last().getAttribute('aria-rowindex');
    const started = Date.now();
    while (Number(await loaded()) - 1 < RUNS) {
      await scroller.evaluate((element) => element.scrollTo(0, element.scrollHeight));
      await page.waitForTimeout(150);
      // A slow server still gets its figures: the scroll is measured over the rows loaded by then.
      if (Date.now() - started > 900_000) {
        progress(`only ${Number(await loaded()) - 1} runs loaded in 15 minutes; measuring those`);
        break;
      }
    }
    const listed = Math.min(RUNS, Number(await loaded()) - 1);
    progress(
      `${listed} runs listed after ${((Date.now() - started) / 1000).toFixed(0)} s; measuring the scroll`,
    );
    const fps = Number(await page.evaluate(SCROLL_FPS));
    const over =
      listed < RUNS ? `${listed.toLocaleString()} of ${RUNS.toLocaleString()}` : RUNS.toLocaleString();
    rows.push([`runs list scroll (${over} runs loaded)`, `${fps.toFixed(0)} fps`, '>= 50 fps']);

    const gz = initialBundleGzKb();
    rows.push(['initial bundle (gzip)', `${gz.toFixed(0)} KB`, '< 400 KB']);
    console.log(table(rows));
    console.log(
      `ui run-graph render ms (500 steps): ${render.toFixed(0)}, list scroll fps (10k runs): ${fps.toFixed(0)}, bundle gz KB: ${gz.toFixed(0)}, delta-to-paint p95 ms: ${deltaP95.toFixed(0)}`,
    );
  } finally {
    await browser.close();
    await stack.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
