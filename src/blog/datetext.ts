// Dates as people wrote them in front matter. Jekyll reads a post's `date` with Ruby's Time.parse,
// which takes almost any way of writing a date, so real archives hold all of them:
//   2014-03-03 15:30:00 -0500   2014-03-03T15:30:00Z   2014-03-03 15:30   2014/03/03   20140303
//   Mon, 3 Mar 2014 15:30:00 +0100   3 Mar 2014   3rd March 2014   March 3, 2014   Mar 3 2014 3:30 PM
//   Mon Mar  3 15:30:00 UTC 2014   03/04/2014 (day first, as Ruby reads it)   March 2014 (the 1st)
// This reads those forms the way Ruby's Date._parse does (date_parse.c): a time with an optional
// zone right after it, then the date as ISO (y-m-d), slashes or dots, a day before a month name, a
// month name before a day, or eight digits; what is left over (a weekday, "at") is ignored.
// Unlike Ruby, a date must say its year, month and day (or month and year): "next tuesday" or
// "March 3" would be read relative to the day the site was built, which an import cannot know.

export interface DateParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** Minutes east of UTC, or null when the text names no zone. */
  offset: number | null;
  /** Words that were neither date, time nor zone and were ignored (as Ruby ignores them). */
  ignored: string[];
}

const MONTH_NAMES = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const MONTH =
  "(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\\.?";
const WEEKDAY = /\b(?:mon|tue|wed|thu|fri|sat|sun)(?:day|sday|nesday|rsday|urday|s|rs)?\b\.?,?/g;

/** Zone abbreviations Ruby knows that archives use, in minutes east of UTC. */
const ZONES: Record<string, number> = {
  z: 0,
  ut: 0,
  utc: 0,
  gmt: 0,
  wet: 0,
  bst: 60,
  west: 60,
  cet: 60,
  cest: 120,
  met: 60,
  mest: 120,
  eet: 120,
  eest: 180,
  msk: 180,
  ist: 330,
  sgt: 480,
  hkt: 480,
  awst: 480,
  jst: 540,
  kst: 540,
  acst: 570,
  aest: 600,
  aedt: 660,
  nzst: 720,
  nzdt: 780,
  ast: -240,
  adt: -180,
  est: -300,
  edt: -240,
  cst: -360,
  cdt: -300,
  mst: -420,
  mdt: -360,
  pst: -480,
  pdt: -420,
  akst: -540,
  akdt: -480,
  hst: -600,
};

const TIME = new RegExp(
  "(?<![\\d:])(\\d{1,2}):(\\d{2})(?::(\\d{2})(?:[.,]\\d+)?)?" + // 15:30, 15:30:00, 15:30:00.123
    "(?:\\s*([ap])\\.?m\\b\\.?)?" + // 3:30 pm
    "(?:\\s*((?:gmt|utc)?[+-]\\d{1,2}(?::?\\d{2})?|[a-z]{1,5})(?![a-z]))?", // +0100, -05:00, UTC, EST
);
const HOUR_ONLY = /(?<![\d:])(\d{1,2})\s*([ap])\.?m\b\.?/; // 3pm

/** The parts of a date written in any of the forms above, or null when it names no full date. */
export function parseDateText(input: string): DateParts | null {
  let s = ` ${input.toLowerCase().replace(/\s+/g, " ")} `;
  // ISO's T between date and time ("2014-03-03T15:30") is only a separator.
  s = s.replace(/(\d)t(\d)/g, "$1 $2");
  s = s.replace(WEEKDAY, " ");
  /** Blanks out what was read, so that later patterns cannot read it again. */
  const take = (m: RegExpExecArray, length = m[0].length) => {
    s = s.slice(0, m.index) + " " + s.slice(m.index + length);
  };

  let hour = 0,
    minute = 0,
    second = 0;
  let offset: number | null = null;
  const time = TIME.exec(s);
  if (time) {
    let zone: string | undefined = time[5];
    // A word after the time that is not a zone ("15:30 at home") stays, to be ignored like any other.
    if (zone && !/\d/.test(zone) && !(zone in ZONES)) {
      take(time, time[0].length - zone.length);
      zone = undefined;
    } else {
      take(time);
    }
    [hour, minute, second] = [Number(time[1]), Number(time[2]), Number(time[3] ?? 0)];
    if (time[4]) hour = twelveHour(hour, time[4]);
    if (zone) offset = zoneOffset(zone);
  } else {
    const h = HOUR_ONLY.exec(s);
    if (h) {
      take(h);
      hour = twelveHour(Number(h[1]), h[2]);
    }
  }
  if (offset === null) {
    // A zone standing apart from the time: "Mon Mar 3 15:30:00 2014 +0100".
    const z = /(?<![\w:+-])([+-]\d{2}:?\d{2})(?![\w:])/.exec(s);
    if (z) {
      take(z);
      offset = zoneOffset(z[1]);
    }
  }
  if (Number.isNaN(hour) || hour > 23 || minute > 59 || second > 60 || (offset !== null && Number.isNaN(offset)))
    return null;

  const date = findDate(s, take);
  if (!date) return null;
  const ignored = s.split(/[\s,.\-/]+/).filter((w) => w && !/^(at|of|the|on)$/.test(w));
  return { ...date, hour, minute, second: Math.min(second, 59), offset, ignored };
}

function twelveHour(hour: number, meridian: string): number {
  if (hour < 1 || hour > 12) return Number.NaN;
  return (hour % 12) + (meridian === "p" ? 12 : 0);
}

function zoneOffset(zone: string): number {
  if (zone in ZONES) return ZONES[zone];
  const m = /^(?:gmt|utc)?([+-])(\d{1,2})(?::?(\d{2}))?$/.exec(zone);
  if (!m) return Number.NaN;
  const [hours, minutes] = [Number(m[2]), Number(m[3] ?? 0)];
  if (hours > 14 || minutes > 59) return Number.NaN;
  return (m[1] === "-" ? -1 : 1) * (hours * 60 + minutes);
}

function monthNumber(name: string): number {
  return MONTH_NAMES.indexOf(name.slice(0, 3)) + 1;
}

/** Ruby's two-digit years: 69–99 are 1969–1999, 00–68 are 2000–2068. */
function fullYear(text: string): number {
  const y = Number(text);
  return text.length <= 2 ? y + (y >= 69 ? 1900 : 2000) : y;
}

/**
 * Three numbers in the order Ruby's s3e settles them: a number of three or more digits is the
 * year; first when it comes first (2014/03/04), else last, read as day then month (03/04/2014 is
 * 3 April). With no long number, the first is the year (14/03/04 is 2014-03-04).
 */
function threeNumbers(a: string, b: string, c: string): { year: number; month: number; day: number } {
  if (a.length <= 2 && c.length > 2) return { year: fullYear(c), month: Number(b), day: Number(a) };
  return { year: fullYear(a), month: Number(b), day: Number(c) };
}

function findDate(s: string, take: (m: RegExpExecArray) => void): { year: number; month: number; day: number } | null {
  let m: RegExpExecArray | null;
  // 3 Mar 2014, 3rd of March 2014, 3 March
  if (
    (m = new RegExp(
      `(?<!\\d)(\\d{1,2})(?:st|nd|rd|th)?\\.?\\s*(?:of\\s+)?${MONTH}(?![a-z])(?:[\\s,]*(\\d{4}|\\d{2})(?![\\d:]))?`,
    ).exec(s))
  ) {
    take(m);
    return m[3] ? { year: fullYear(m[3]), month: monthNumber(m[2]), day: Number(m[1]) } : null;
  }
  // March 3, 2014; Mar 3rd 2014; March 2014 (the 1st, as Ruby fills it)
  if (
    (m = new RegExp(
      `${MONTH}(?![a-z])\\s*(?:(\\d{1,2})(?:st|nd|rd|th)?(?![\\d:])[\\s,]*)?(?:(\\d{4}|'\\d{2})(?![\\d:]))?`,
    ).exec(s))
  ) {
    take(m);
    if (!m[3]) return null;
    return { year: fullYear(m[3].replace("'", "")), month: monthNumber(m[1]), day: m[2] ? Number(m[2]) : 1 };
  }
  // 2014-03-03, 2014/3/3, 03/04/2014, 03.04.2014, 14-03-04
  if ((m = /(?<![\d:])(\d{1,4})([-/.])(\d{1,2})\2(\d{1,4})(?![\d:])/.exec(s))) {
    take(m);
    return threeNumbers(m[1], m[3], m[4]);
  }
  // 20140303
  if ((m = /(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)/.exec(s))) {
    take(m);
    return { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
  }
  return null;
}
