// chat.mjs -- drives examples/chat in headless Chromium, as people would:
// two pages, a message typed in one appears in the other (and in the
// first), a page opened later shows it from the history.
//
//   node tests/browser/chat.mjs BASE_URL TAG
//
// BASE_URL is the running server ("http://127.0.0.1:PORT"), TAG a string
// that makes this run's messages unique. Prints one JSON line per check,
// {"name": ..., "ok": true|false, "detail": ...}; tests/e2e/test_chat.py
// turns them into TAP. A check that cannot run because an earlier step
// failed is not printed (the Python side reports it missing, with the
// failure that stopped the run). Exits 0 when every check passed.
//
// Environment: CHROMIUM (default /usr/bin/chromium), TORN_BROWSER_TIMEOUT
// (milliseconds per wait, default 30000: generous for a sanitizer build).

import { chromium } from "playwright-core";

const [base, tag] = process.argv.slice(2);
if (!base || !tag) {
  console.error("usage: node chat.mjs BASE_URL TAG");
  process.exit(2);
}
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const timeout = Number(process.env.TORN_BROWSER_TIMEOUT || 30000);

let failures = 0;
function report(name, ok, detail = "") {
  if (!ok) failures++;
  console.log(JSON.stringify({ name, ok, detail: String(detail) }));
}

// Runs `fn`; reports `name` as passed, or failed with the error. Returns
// whether it passed.
async function check(name, fn) {
  try {
    const detail = await fn();
    report(name, true, detail || "");
    return true;
  } catch (e) {
    report(name, false, e && e.message ? e.message : e);
    return false;
  }
}

// A page of its own browser context (its own cookies: another user),
// remembering the script errors it shows.
async function openPage(browser, errors, label) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(timeout);
  page.on("pageerror", (e) => errors.push(`${label}: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`${label}: console: ${m.text()}`);
  });
  const resp = await page.goto(base + "/");
  if (!resp || resp.status() !== 200) {
    throw new Error(`${label}: GET / answered ${resp && resp.status()}`);
  }
  await page.waitForSelector('#status[data-state="open"]');
  return page;
}

// Waits until the list of `page` shows a message whose text is exactly
// `text`.
async function waitForMessage(page, text) {
  await page.waitForFunction(
    (t) => [...document.querySelectorAll("#messages li")]
      .some((li) => li.textContent === t),
    text, { timeout });
}

// How many items of the list show exactly `text`.
function countMessage(page, text) {
  return page.evaluate(
    (t) => [...document.querySelectorAll("#messages li")]
      .filter((li) => li.textContent === t).length,
    text);
}

// No markup from a message made it into the DOM: no element inside an
// item, the onerror handler never ran.
async function onlyText(page, label) {
  const found = await page.evaluate(() => ({
    elements: document.querySelectorAll("#messages li *").length,
    xss: window.__tornXss === true,
  }));
  if (found.elements !== 0 || found.xss) {
    throw new Error(`${label}: message markup became HTML: ` +
                    JSON.stringify(found));
  }
}

async function main() {
  let browser;
  const ok = await check("Chromium starts", async () => {
    browser = await chromium.launch({
      executablePath,
      headless: true,
      timeout,
      // As root Chromium refuses to run without --no-sandbox.
      args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
    });
    return browser.version();
  });
  if (!ok) return;
  try {
    await scenario(browser);
  } finally {
    await browser.close();
  }
}

async function scenario(browser) {
  const errors = [];
  let a, b;
  if (!await check("two pages load and connect their sockets", async () => {
    a = await openPage(browser, errors, "page A");
    b = await openPage(browser, errors, "page B");
  })) return;

  // Markup that would run if a page used innerHTML.
  const first = `<img src=x onerror="window.__tornXss=true"> & "hello" ` +
                `from A ${tag} é 😀`;
  await check("a message typed in page A (Enter) appears in page B",
              async () => {
    await a.fill("#compose input[name=body]", first);
    await a.press("#compose input[name=body]", "Enter");
    await waitForMessage(b, first);
  });
  await check("... and in page A itself", () => waitForMessage(a, first));
  await check("page A's input is empty again", async () => {
    const v = await a.inputValue("#compose input[name=body]");
    if (v !== "") throw new Error(`input still holds ${JSON.stringify(v)}`);
  });
  await check("the message is shown as text, never as HTML", async () => {
    await onlyText(a, "page A");
    await onlyText(b, "page B");
  });

  const second = `reply from B ${tag}`;
  await check("a message posted in page B (button) appears in page A",
              async () => {
    await b.fill("#compose input[name=body]", second);
    await b.click("#compose button[type=submit]");
    await waitForMessage(a, second);
    await waitForMessage(b, second);
  });

  let c;
  await check("a page opened later shows both messages from the history, " +
              "once each", async () => {
    c = await openPage(browser, errors, "page C");
    // The socket gives its history before anything else: once C's own
    // message is back, the history has been shown too.
    const third = `late page C ${tag}`;
    await c.fill("#compose input[name=body]", third);
    await c.press("#compose input[name=body]", "Enter");
    await waitForMessage(c, third);
    await waitForMessage(a, third);
    for (const text of [first, second]) {
      const n = await countMessage(c, text);
      if (n !== 1) throw new Error(`${JSON.stringify(text)} shown ${n} times`);
    }
    await onlyText(c, "page C");
  });

  await check("no script errors in any page", () => {
    if (errors.length) throw new Error(errors.join("; "));
  });
}

main().then(
  () => process.exit(failures ? 1 : 0),
  (e) => {
    report("driver", false, e && e.stack ? e.stack : e);
    process.exit(1);
  });
