// Helpers shared by the browser test and the page-load benchmark.

/** The tags between a carpool's start and end comments, one array per carpool of the page. */
export function carpoolTags(/** @type {string} */ html) {
  return [...html.matchAll(/<!-- carpool (css|js): \d+ files -->([\s\S]*?)<!-- \/carpool -->/g)].map((match) => ({
    kind: match[1],
    tags: [...(match[2] ?? '').matchAll(/<(?:link|script)\b[^>]*>/g)].map((tag) => tag[0]),
  }))
}

/**
 * Fetches `url` until every carpool on it renders one tag (the bundles, built in the background after the first
 * render), at most `attempts` times. Resolves with the HTML of the first render and of the last one.
 *
 * @param {string} url
 * @param {{ attempts?: number, delayMs?: number }} [options]
 */
export async function renderUntilBundled(url, { attempts = 80, delayMs = 250 } = {}) {
  let first
  for (let attempt = 0; attempt < attempts; attempt++) {
    const html = await (await fetch(url)).text()
    first ??= html
    if (carpoolTags(html).every((carpool) => carpool.tags.length === 1)) return { first, last: html }
    await new Promise((resolve) => setTimeout(resolve, delayMs))
  }
  throw new Error(`the carpools of ${url} still render one tag per member after ${attempts} renders`)
}
