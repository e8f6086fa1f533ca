// wait.mjs runs the inline scripts of a wait page (HTML on stdin) in a
// fake browser, with a clock that moves only when a timer fires (each timer
// fires LATE ms after it was due, as real ones do), until the page reloads
// itself or LIMIT seconds have passed. It prints, as JSON, the countdown
// text after each step with the time elapsed, and when location.reload ran.
//
// Usage: node wait.mjs LATE LIMIT < page.html
// Run by adapters/web's TestWaitPageScriptCountsDown; needs no packages.
import vm from "node:vm";

const [late, limit] = process.argv.slice(2).map(Number);
const html = await new Promise((resolve, reject) => {
  let s = "";
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (c) => (s += c));
  process.stdin.on("end", () => resolve(s));
  process.stdin.on("error", reject);
});
// Only scripts outside <noscript> run, as in a browser with JavaScript on.
const scripts = [...html.replace(/<noscript>[\s\S]*?<\/noscript>/g, "").matchAll(/<script nonce="[^"]*">([\s\S]*?)<\/script>/g)].map((m) => m[1]);

const start = 1_800_000_000_000;
let now = start;
const timers = [];
const left = { textContent: "" };
let reloadedAt = null;
const math = Object.create(Math);
math.random = () => 0.999999; // the longest spread the page allows
const context = vm.createContext({
  Date: { now: () => now },
  Math: math,
  document: { getElementById: (id) => (id === "left" ? left : null) },
  setTimeout: (fn, ms) => timers.push({ at: now + Math.max(0, ms) + late, fn }),
  location: { reload: () => { if (reloadedAt === null) reloadedAt = now; } },
});
for (const s of scripts) vm.runInContext(s, context);

const steps = [{ ms: 0, text: left.textContent }];
while (timers.length > 0 && reloadedAt === null && now - start <= limit * 1000) {
  timers.sort((a, b) => a.at - b.at);
  const t = timers.shift();
  now = Math.max(now, t.at);
  t.fn();
  steps.push({ ms: Math.round(now - start), text: left.textContent });
}
process.stdout.write(JSON.stringify({
  scripts: scripts.length,
  steps,
  reloadMs: reloadedAt === null ? -1 : Math.round(reloadedAt - start),
  pendingTimers: timers.length,
}) + "\n");
