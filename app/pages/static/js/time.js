// Wall clocks and instants across zones, with no library: the browser's Intl knows the zones.

export const MY_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;
const LANG = document.documentElement.lang;

export function clockIn(zone, date = new Date(), withDate = false) {
  const options = { timeZone: zone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
  if (withDate) Object.assign(options, { day: "2-digit", month: "2-digit" });
  return new Intl.DateTimeFormat(LANG, options).format(date);
}

// The offset of a zone at an instant, in minutes east of UTC.
function offsetMinutes(zone, date) {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  }).formatToParts(date);
  const part = (type) => Number(parts.find((p) => p.type === type).value);
  const wall = Date.UTC(part("year"), part("month") - 1, part("day"), part("hour"),
    part("minute"), part("second"));
  return Math.round((wall - Math.floor(date.getTime() / 1000) * 1000) / 60000);
}

const pad = (n) => String(n).padStart(2, "0");

// "2026-12-01T15:30" read as a wall time in the zone -> "2026-12-01T15:30:00+03:00".
export function wallToInstant(local, zone) {
  const [day, time] = local.split("T");
  const [y, mo, d] = day.split("-").map(Number);
  const [h, mi] = time.split(":").map(Number);
  const wall = Date.UTC(y, mo - 1, d, h, mi);
  // Twice: the offset at the guess may differ from the offset at the answer (DST).
  let offset = offsetMinutes(zone, new Date(wall));
  offset = offsetMinutes(zone, new Date(wall - offset * 60000));
  const sign = offset < 0 ? "-" : "+";
  const abs = Math.abs(offset);
  return `${day}T${pad(h)}:${pad(mi)}:00${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

// The wall time of an instant in a zone, in datetime-local's format.
export function instantToWall(date, zone) {
  const shifted = new Date(date.getTime() + offsetMinutes(zone, date) * 60000);
  return shifted.toISOString().slice(0, 16);
}

// The first wall time at or after `wall` ("YYYY-MM-DDTHH:MM") inside a daily window
// {start, end} ("HH:MM", start before end): `wall` itself, that day's start, or the next day's.
export function intoWindow(wall, { start, end }) {
  const [day, time] = wall.split("T");
  if (time < start) return `${day}T${start}`;
  if (time >= end) return `${daysBefore(day, -1)}T${start}`;
  return wall;
}

// Today's date where the reader is, as the API's date parameters want it.
export function today() {
  return new Intl.DateTimeFormat("en-CA", { timeZone: MY_ZONE }).format(new Date());
}

// The date `days` before a "YYYY-MM-DD" date, in the same format (calendar days, no zone).
export function daysBefore(day, days) {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d - days)).toISOString().slice(0, 10);
}
