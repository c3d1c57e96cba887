// Drives the player page's caster panel (web/caster.js) in headless Chromium with
// playwright-core as an admin; prints one JSON line of what the panel showed at each
// step. Used by caster_panel_test.py, which asserts on the values (and on the API).
//
//   node caster.mjs --base http://127.0.0.1:PORT --stream live/a --inputs live/a,live/b
//                   --output live/show --relay-url rtmp://127.0.0.1:N/live/x --admin-sig S
//                   [--timeout 20] [--web-root DIR] [--chromium PATH]
//
// Steps: the admin logs in and gets the panel; the two inputs are listed and ticked;
// a 640x360 2x2 program is created; its layout is changed to side by side at once;
// a preview scene (picture-in-picture) is set and its stream plays in the panel; the
// preview is taken to the program with a fade; a program of a missing input shows the
// server's error; the program is relayed to a target that refuses (its state and error
// show) and the relay is stopped; the program is stopped.
// Exit code 0 when every wait was met, 1 otherwise, 2 on a harness problem.
import { parseOptions, withChromium } from './chromium.mjs';

function parseArgs(argv) {
  return parseOptions(argv, { base: '', stream: 'live/a', inputs: '', output: 'live/show', relayUrl: '', adminSig: '', timeout: 20 },
    ['base', 'inputs', 'adminSig', 'relayUrl']);
}

function snapshot(page) {
  return page.evaluate(() => {
    const el = (id) => document.getElementById(id);
    const panel = el('caster-panel');
    return {
      visible: Boolean(panel) && !panel.hidden && panel.getClientRects().length > 0,
      busy: panel?.dataset.busy ?? '',
      inputs: [...(el('caster-inputs')?.querySelectorAll('li') ?? [])].map((li) => li.dataset.stream),
      programs: [...(el('caster-programs')?.querySelectorAll('li') ?? [])].map((li) => ({
        key: li.dataset.key, layout: li.dataset.layout, state: li.dataset.state, selected: li.dataset.selected,
      })),
      selected: el('caster-program')?.dataset.key ?? '',
      relays: [...(el('caster-relays')?.querySelectorAll('li') ?? [])].map((li) => ({
        id: li.dataset.id, stream: li.dataset.stream, state: li.dataset.state, text: li.textContent,
      })),
      doneAction: el('caster-done')?.dataset.action ?? '',
      done: el('caster-done')?.textContent ?? '',
      error: !el('caster-error') || el('caster-error').hidden ? null
        : { status: Number(el('caster-error').dataset.status), text: el('caster-error').textContent },
      preview: {
        stream: el('caster-preview-video')?.dataset.stream ?? '',
        frames: Number(el('caster-preview-video')?.dataset.frames ?? 0),
        width: el('caster-preview-video')?.videoWidth ?? 0,
      },
    };
  });
}

async function waitFor(page, pred, timeoutS) {
  const deadline = Date.now() + timeoutS * 1000;
  let s;
  for (;;) {
    s = await snapshot(page);
    if (pred(s)) return { ...s, met: true };
    if (Date.now() >= deadline) return { ...s, met: false };
    await new Promise((r) => setTimeout(r, 150));
  }
}

// Clicks a button and waits until the panel shows that action done or an error.
async function casterDo(page, button, action, T) {
  await page.evaluate(() => {
    document.getElementById('caster-done').dataset.action = '';
    document.getElementById('caster-error').hidden = true;
  });
  await page.click(button);
  return waitFor(page, (s) => s.busy === '' && (s.doneAction === action || s.error !== null), T);
}

const program = (s, key) => s.programs.find((p) => p.key === key);

async function steps(context, opts, r) {
  const T = opts.timeout;
  const inputs = opts.inputs.split(',');
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') r.console.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => r.pageErrors.push(String(e)));
  await page.goto(`${opts.base}/?stream=${encodeURIComponent(opts.stream)}&proto=flv&muted=1` +
    `&user=administrator&usersig=${encodeURIComponent(opts.adminSig)}`, { waitUntil: 'load', timeout: 15000 });

  r.panel = await waitFor(page, (s) => s.visible && inputs.every((k) => s.inputs.includes(k)), T);
  for (const k of inputs) await page.check(`#caster-inputs li[data-stream="${k}"] input`);
  await page.fill('#caster-output', opts.output);
  await page.selectOption('#caster-size', '640x360');
  await page.selectOption('#caster-template', 'grid2x2');
  r.create = await casterDo(page, '#caster-create', 'create', T);
  r.listed = await waitFor(page, (s) => program(s, opts.output)?.state === 'running' && s.selected === opts.output, T);

  await page.selectOption('#caster-template', 'side_by_side');
  r.apply = await casterDo(page, '#caster-apply', 'apply', T);
  r.applied = await waitFor(page, (s) => program(s, opts.output)?.layout === 'side_by_side', T);

  await page.selectOption('#caster-preview-template', 'pip');
  r.preview = await casterDo(page, '#caster-preview-set', 'preview', T);
  r.previewPlays = await waitFor(page, (s) => s.preview.stream === `${opts.output}_preview` && s.preview.frames > 5, T);

  await page.fill('#caster-fade-ms', '500');
  r.take = await casterDo(page, '#caster-take-fade', 'take-fade', T);
  r.taken = await waitFor(page, (s) => program(s, opts.output)?.layout === 'pip', T);

  // A second program whose input is not a stream of the hub's list: the server's error shows.
  await page.fill('#caster-output', 'live/bad name');
  r.bad = await casterDo(page, '#caster-create', 'create', T);

  await page.fill('#caster-relay-stream', opts.output);
  await page.fill('#caster-relay-url', opts.relayUrl);
  r.relay = await casterDo(page, '#caster-relay-add', 'relay', T);
  r.relayRefused = await waitFor(page, (s) => s.relays.length === 1 && s.relays[0].state === 'backoff', T);
  r.relayStop = await casterDo(page, '#caster-relays li button', 'relay-stop', T);
  r.relayGone = await waitFor(page, (s) => s.relays.length === 0, T);

  r.stop = await casterDo(page, '#caster-delete', 'delete', T);
  r.stopped = await waitFor(page, (s) => !program(s, opts.output), T);
}

async function run(opts, r) {
  await withChromium(opts, { width: 1400, height: 1200 }, r, (context) => steps(context, opts, r));
  return Object.values(r).every((v) => !(v && typeof v === 'object' && v.met === false));
}

const result = { ok: false, console: [], pageErrors: [] };
let code = 2;
try {
  const opts = parseArgs(process.argv);
  result.ok = await run(opts, result);
  code = result.ok ? 0 : 1;
} catch (e) {
  result.reason = `harness error: ${e && e.stack ? e.stack : e}`;
}
process.stdout.write(JSON.stringify(result) + '\n');
process.exit(code);
