/**
 * The flags every headless Chromium of Troupe starts with, the browser tool's and the UI tests' alike.
 * `--no-sandbox`: Chromium's own sandbox needs privileges the worker does not have; the browser tool
 * runs it inside the command sandbox (bubblewrap) instead. The rest keep it quiet and offline except
 * for the pages it is asked to open.
 */
export const chromiumFlags: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
