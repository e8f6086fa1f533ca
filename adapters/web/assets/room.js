// The room page's script (pages/room.html): the wait page's countdown and
// its question to the server, and the meeting's start through the UI Kit.
// It is a static, cacheable file, checked by its integrity hash; what
// differs per page (the token, times, URLs) comes from the page's
// <script type="application/json" id="boot"> element (whose nonce the
// client script gets, as CSP wants).
const bootEl = document.getElementById("boot");
const boot = JSON.parse(bootEl.textContent);
// The UI Kit's entry files, from the import map's script (uikit.go); the
// sandbox page has none.
const kit = window.meetbotUIKit || {};
const $ = (id) => document.getElementById(id);
const show = (id, on) => { $(id).hidden = !on; };

// The start in the viewer's own zone, beside the organizer's.
try {
  const start = new Date(boot.startISO);
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (zone && zone !== boot.zone) {
    const local = start.toLocaleString(undefined, { weekday: "short", day: "numeric", month: "short", hour: "numeric", minute: "2-digit" });
    $("start-local").textContent = local + " your time (" + zone + ")";
    $("start-org").textContent += " for the organizer";
    $("start-org").style.display = "block";
    const opens = new Date(boot.opensISO).toLocaleTimeString(undefined, { hour: "numeric", minute: "2-digit" });
    $("opens-local").textContent = " (" + opens + " your time)";
    show("start-local", true);
  }
} catch (e) { /* the organizer's time stays */ }

// The countdown's text, as the server writes it (countdown in join.go).
function human(s) {
  if (s < 60) return s + " s";
  if (s < 3600) return Math.floor(s / 60) + " min" + (s % 60 ? " " + (s % 60) + " s" : "");
  const mins = Math.ceil(s / 60), hours = Math.floor(mins / 60), days = Math.floor(mins / 1440);
  if (days > 0) return days + (days > 1 ? " days" : " day") + (hours % 24 ? " " + (hours % 24) + " h" : "");
  return hours + " h" + (mins % 60 ? " " + (mins % 60) + " min" : "");
}

function fail(reason, err) {
  console.error("meetbot: the meeting could not start: " + reason, err);
  document.querySelectorAll("rtk-meeting").forEach((el) => el.remove());
  show("stage", false); show("page", true);
  show("wait", false); show("starting", false); show("failed", true);
  $("failed-reason").textContent = reason;
  $("retry").focus();
}

// The UI Kit asks a third-party host for its font; the page keeps the
// system font stack instead, so that request is never made.
const headAppend = document.head.append.bind(document.head);
document.head.append = (...nodes) => headAppend(...nodes.filter((n) => !(n instanceof HTMLLinkElement && n.hasAttribute("data-rtk-font"))));

// The client script and the UI Kit load side by side, and init starts as
// soon as the client is there: it does not need the components.
let core = null, ui = null;
function loadCore() {
  if (window.RealtimeKitClient) return Promise.resolve();
  if (!core) {
    core = new Promise((resolve, reject) => {
      const s = document.createElement("script");
      s.src = kit.coreURL; s.integrity = kit.coreSRI; s.crossOrigin = "anonymous"; s.nonce = bootEl.nonce;
      s.onload = resolve; s.onerror = () => reject(new Error("could not load " + kit.coreURL));
      document.head.appendChild(s);
    });
    core.catch(() => { core = null; });
  }
  return core;
}
function loadUI() {
  if (!ui) {
    ui = import(kit.loaderURL).then(({ defineCustomElements }) => defineCustomElements());
    ui.catch(() => { ui = null; });
  }
  return ui;
}
function loadKit() { return Promise.all([loadCore(), loadUI()]); }

const withTimeout = (p, ms, what) => Promise.race([p, new Promise((_, reject) => setTimeout(() => reject(new Error(what + " did not answer within " + ms / 1000 + " s")), ms))]);
const kitFailed = (err) => fail("The video call software could not be loaded from " + new URL(kit.coreURL).host + " (blocked or unreachable).", err);

let starting = false;
async function start(token, media) {
  if (starting) return;
  starting = true;
  show("wait", false); show("failed", false); show("starting", true);
  const components = withTimeout(loadUI(), 20000, "the UI Kit");
  components.catch(() => {});
  try {
    await withTimeout(loadCore(), 20000, "the UI Kit");
  } catch (err) {
    starting = false;
    kitFailed(err);
    return;
  }
  let meeting;
  try {
    meeting = await withTimeout(RealtimeKitClient.init({ authToken: token, defaults: { audio: true, video: true, mediaConfiguration: media } }), 30000, "the video service");
  } catch (err) {
    starting = false;
    const code = err && (err.code || err.name);
    fail("The video service refused to start this meeting" + (code ? " (" + code + ")" : "") + ": your link may have expired or the service is unreachable.", err);
    return;
  }
  try {
    await components;
  } catch (err) {
    starting = false;
    kitFailed(err);
    return;
  }
  const el = document.createElement("rtk-meeting");
  el.setAttribute("mode", "fill");
  el.showSetupScreen = true;
  el.meeting = meeting;
  $("stage").append(el);
  show("page", false); show("stage", true);
  starting = false;
}

let token = boot.token, media = boot.media;
$("retry").addEventListener("click", () => {
  if (!window.RealtimeKitClient) { location.reload(); return; }
  token ? start(token, media) : location.reload();
});

// Before the window: count down, and ask the server (the judge) when it
// opens; it answers with the token only inside the window.
// The server's "opens in" was true when it sent the page, so count from the
// response's arrival, not from when this script got to run.
const nav = performance.getEntriesByType("navigation")[0];
const sent = nav && nav.responseStart > 0 ? performance.timeOrigin + nav.responseStart : Date.now();
let deadline = sent + (boot.opensInMS || 0);
function tick() {
  const s = Math.ceil((deadline - Date.now()) / 1000);
  $("left").textContent = s > 0 ? human(s) : "a moment";
}
async function ask() {
  let state;
  try {
    const r = await fetch(location.pathname + "?state=1", { cache: "no-store", credentials: "omit", headers: { Accept: "application/json" } });
    state = await r.json();
  } catch (err) {
    setTimeout(ask, 5000);
    return;
  }
  if (state.phase === "before") {
    deadline = Date.now() + state.opens_in_ms;
    tick();
    setTimeout(ask, Math.min(Math.max(state.opens_in_ms, 250), 30000) + Math.random() * 300);
    return;
  }
  if (state.phase === "open" && state.token && !boot.sandbox) {
    token = state.token; media = state.media;
    start(token, media);
    return;
  }
  location.reload(); // sandbox, or refused now: the server's own page says which
}
if (boot.waiting) {
  tick();
  setInterval(tick, 1000);
  if (boot.autoJoin) {
    setTimeout(ask, Math.min(Math.max(deadline - Date.now(), 0), 30000) + Math.random() * 300);
    if (!boot.sandbox) loadKit().catch(() => {}); // warm up, so the switch is quick
  }
} else if (token) {
  start(token, media);
}
