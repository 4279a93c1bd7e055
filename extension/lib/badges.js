// What the service worker tells the open pages of the supported sites about their badges.
//
// A badge shows its record's figures as the content script last got them: with its record once it is
// stored (notifyTab), or when the page asks (the "badges" message). When they may have changed for every
// record (a recompute finished, see recompute.js) or badges are switched on or off, each open page is
// told to ask again (refreshBadges) for the turns it shows, and nothing else. No "tabs" permission:
// tabs.query filters by URL for the hosts we hold, and messaging a tab needs none. A page also asks
// once when it starts.

/** The figures of a record a badge shows. */
export function summary(r) {
  return { gen: r.gen, prev_gen: r.prev_gen ?? null, wall_wh: r.wall_wh, wall_wh_low: r.wall_wh_low,
           wall_wh_high: r.wall_wh_high, co2_g: r.co2_g, energy_wh: r.energy_wh, regenerated: r.regenerated };
}

/** Whether badges are on under these settings (missing settings: the default, on). */
export function showsBadges(settings) {
  return !settings || settings.badges !== false;
}

/** Where the content scripts run (the manifest's match patterns). */
export function contentScriptMatches() {
  return [...new Set((chrome.runtime.getManifest().content_scripts || []).flatMap((c) => c.matches || []))];
}

/** Tells every open page of the supported sites to ask again for the figures of the turns it shows. */
export async function refreshBadges() {
  let tabs;
  try {
    tabs = await chrome.tabs.query({ url: contentScriptMatches() });
  } catch { return; } // no window (the browser is closing): no page to update
  await Promise.all(tabs.map((tab) => chrome.tabs.sendMessage(tab.id, { target: "content", type: "refresh" })
    .catch(() => {}))); // a page without our content script (opened before an install) or gone
}

/** Gives the tab that sent an exchange its stored record (tabId null: none to tell). */
export async function notifyTab(tabId, record, conversationId) {
  if (typeof tabId !== "number") return;
  try {
    const data = { ...summary(record), conversation_id: conversationId };
    await chrome.tabs.sendMessage(tabId, { target: "content", type: "recorded", data });
  } catch { /* the tab is gone or navigated: nothing to draw */ }
}
