// expand.mjs reads one .ics file on stdin and prints, as JSON, the UTC
// start of every occurrence in [FROM, TO) as two independent calendar
// parsers read it:
//
//   icaljs: ical.js (the library inside Thunderbird and many web clients),
//           with the file's VTIMEZONE registered as that TZID, expanded
//           with its own RRULE/EXDATE/RECURRENCE-ID handling;
//   tsics:  ts-ics, whose own code turns local times into instants from
//           the file's VTIMEZONE (never the system's zone data); its
//           recurrence expansion steps in UTC, so the rule is expanded on
//           local wall times and each is then placed with ts-ics's offset.
//           ts-ics compares a local wall time with UTC onsets, and drops the
//           time of day of RRULE onsets, so within a day of a change it
//           may pick the wrong offset: tests keep meetings away from the
//           hours around a change.
//
// Usage: node expand.mjs FROM TO < file.ics   (FROM, TO: RFC 3339 instants)
//        node expand.mjs --lines
// With --lines it answers many files in one process (a node start-up costs
// more than an expansion): each stdin line is a request,
// {"from": FROM, "to": TO, "ics": text}, and each answer one stdout line,
// the JSON above or {"error": message}, in the order asked. ical.js's
// timezone registry is emptied before each file, so a file can only use
// the VTIMEZONEs it carries.
// Run by adapters/web's TestCalendarClientsAgreeWithCore.
import ICAL from "ical.js";
import { createInterface } from "node:readline";
import * as tsics from "ts-ics";

const iso = (d) => d.toISOString().replace(".000Z", "Z");

// expand returns both parsers' occurrence starts in [from, to) of text.
function expand(text, from, to) {
  const inRange = (d) => d >= from && d < to;
  const sorted = (list) => list.filter(inRange).sort((a, b) => a - b).map(iso);
  ICAL.TimezoneService.reset();
  return { icaljs: withIcalJs(text, to, sorted), tsics: withTsIcs(text, to, sorted) };
}

function withIcalJs(text, to, sorted) {
  const root = new ICAL.Component(ICAL.parse(text));
  for (const vtz of root.getAllSubcomponents("vtimezone")) {
    ICAL.TimezoneService.register(new ICAL.Timezone(vtz));
  }
  const vevents = root.getAllSubcomponents("vevent");
  const master = vevents.find((v) => !v.hasProperty("recurrence-id"));
  const exceptions = vevents.filter((v) => v.hasProperty("recurrence-id"));
  const ev = new ICAL.Event(master, { exceptions });
  if (!ev.isRecurring()) {
    return sorted([ev.startDate.toJSDate()]);
  }
  const out = [];
  const it = ev.iterator();
  // A move can only bring an occurrence forward by less than a year here.
  const stop = new Date(to.getTime() + 366 * 24 * 3600 * 1000);
  for (let next = it.next(); next; next = it.next()) {
    if (next.toJSDate() >= stop) break;
    out.push(ev.getOccurrenceDetails(next).startDate.toJSDate());
  }
  return sorted(out);
}

function withTsIcs(text, to, sorted) {
  const cal = tsics.convertIcsCalendar(undefined, text);
  const master = cal.events.find((e) => !e.recurrenceId);
  const tzid = master.start.local?.timezone;
  if (tzid && !(cal.timezones || []).some((z) => z.id === tzid)) {
    throw new Error(`ts-ics found no VTIMEZONE for ${tzid}`);
  }
  if (!master.recurrenceRule) {
    return sorted([master.start.date]);
  }
  // A local wall time (as a UTC-valued Date) to the instant ts-ics gives it.
  const place = (wall) => {
    const off = tsics.getTimezoneObjectOffset(wall, tzid, cal.timezones);
    return new Date(wall.getTime() - off.milliseconds);
  };
  const rule = { ...master.recurrenceRule };
  if (rule.until) {
    const u = rule.until.date;
    const off = tsics.getTimezoneObjectOffset(u, tzid, cal.timezones);
    rule.until = { ...rule.until, date: new Date(u.getTime() + off.milliseconds) };
  }
  const end = new Date(to.getTime() + 366 * 24 * 3600 * 1000);
  const walls = tsics.extendByRecurrenceRule(rule, { start: master.start.local.date, end });
  const skipped = new Set((master.exceptionDates || []).map((x) => x.date.getTime()));
  const moved = new Map();
  for (const e of cal.events) {
    if (e.recurrenceId) moved.set(e.recurrenceId.value.date.getTime(), e.start.date);
  }
  const out = [];
  for (const w of walls) {
    const at = place(w);
    if (skipped.has(at.getTime())) continue;
    out.push(moved.get(at.getTime()) || at);
  }
  return sorted(out);
}

const readAll = () => new Promise((resolve, reject) => {
  let s = "";
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (c) => (s += c));
  process.stdin.on("end", () => resolve(s));
  process.stdin.on("error", reject);
});

if (process.argv[2] === "--lines") {
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    let answer;
    try {
      const req = JSON.parse(line);
      const from = new Date(req.from), to = new Date(req.to);
      if (!(from < to)) throw new Error(`from ${req.from} is not before to ${req.to}`);
      answer = expand(req.ics, from, to);
    } catch (err) {
      answer = { error: String(err && err.stack || err) };
    }
    process.stdout.write(JSON.stringify(answer) + "\n");
  }
} else {
  const [from, to] = process.argv.slice(2).map((s) => new Date(s));
  if (!(from < to)) {
    console.error("usage: node expand.mjs FROM TO < file.ics, or node expand.mjs --lines");
    process.exit(2);
  }
  process.stdout.write(JSON.stringify(expand(await readAll(), from, to)) + "\n");
}
