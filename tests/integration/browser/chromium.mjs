// Shared pieces of the browser drivers: their --option parsing and a headless
// Chromium (Debian's, driven by playwright-core from web/node_modules) in a
// throwaway profile.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

// "--kebab-name value" pairs into `defaults` (camelCase keys; numbers stay numbers);
// every key in `required` must be given.
export function parseOptions(argv, defaults, required) {
  const opts = { webRoot: path.resolve(here, '../../../web'), chromium: '/usr/bin/chromium', ...defaults };
  for (let i = 2; i < argv.length; i += 2) {
    const k = argv[i].replace(/^--/, '').replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (!(k in opts)) throw new Error(`unknown option ${argv[i]}`);
    opts[k] = typeof opts[k] === 'number' ? Number(argv[i + 1]) : argv[i + 1];
  }
  for (const k of required) if (!opts[k]) throw new Error(`--${k} is required`);
  return opts;
}

// Runs `fn(context)` in a fresh headless Chromium; records its version in r.browser.
export async function withChromium(opts, viewport, r, fn) {
  const { chromium } = await import(
    pathToFileURL(path.join(opts.webRoot, 'node_modules/playwright-core/index.mjs')).href);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'roomcast-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: opts.chromium,
    headless: true,
    viewport,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--autoplay-policy=no-user-gesture-required',
      // WebRTC on loopback (the tests' server announces 127.0.0.1) and a fake camera.
      '--allow-loopback-in-peer-connection', '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      // opts.fakeVideo: the fake camera plays this .y4m (looped) instead of its pattern.
      ...(opts.fakeVideo ? [`--use-file-for-fake-video-capture=${opts.fakeVideo}`] : [])],
  });
  try {
    r.browser = context.browser()?.version() ?? null;
    await fn(context);
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}
