// Which requests are not a person reading: a page view counts people, so an uptime monitor polling a
// post every minute, a search engine's crawler or a script fetching pages must not inflate it. A
// short list of words their User-Agent headers say of themselves (README, "Reading and page views"); a client
// that hides what it is still counts.
const CRAWLERS =
  /bot\b|bot\/|crawl|spider|slurp|monitor|uptime|pingdom|statuscake|headlesschrome|lighthouse|curl\/|wget\/|python-requests|python-urllib|go-http-client|okhttp|java\/|libwww|httpclient|feedfetcher|facebookexternalhit|preview/i;

/** Whether the User-Agent says it is a crawler, monitor or script rather than a reader's browser. */
export function isCrawler(userAgent: string | null): boolean {
  return userAgent !== null && CRAWLERS.test(userAgent);
}
