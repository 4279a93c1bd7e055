// The in-page label under a finished reply: "≈ 0.3 Wh", the range in its tooltip.
// A <promptwatt-badge> host with a closed shadow root, every style set through the CSSOM (no
// <style> text, which a page CSP could refuse; no HTML strings, which Trusted Types refuse), so
// the site's CSS cannot reach in and ours cannot leak out.
(() => {
  const PW = globalThis.PromptWatt;
  if (PW.badge) return;
  const TAG = "promptwatt-badge";
  const roots = new WeakMap(); // host -> its span (the shadow root is closed)
  const shown = new WeakMap(); // host -> the summary it shows

  function wh(x) {
    if (!Number.isFinite(x)) return "?";
    if (x >= 100) return x.toFixed(0);
    if (x >= 10) return x.toFixed(1);
    if (x >= 0.1) return x.toFixed(2).replace(/0$/, "");
    return x.toPrecision(1);
  }

  function text(summary) {
    return {
      label: `≈ ${wh(summary.wall_wh)} Wh`,
      tip: `PromptWatt: ${wh(summary.wall_wh_low)}–${wh(summary.wall_wh_high)} Wh, `
        + `≈ ${wh(summary.co2_g)} g CO₂${summary.regenerated ? " (regenerated reply)" : ""}`,
    };
  }

  function create(summary) {
    const host = document.createElement(TAG);
    const hs = host.style;
    hs.setProperty("all", "initial", "important");
    hs.setProperty("display", "block", "important");
    hs.setProperty("margin", "4px 0 0 0", "important");
    hs.setProperty("pointer-events", "auto", "important");
    const root = host.attachShadow({ mode: "closed" });
    const span = document.createElement("span");
    const s = span.style;
    s.font = "12px/1.4 system-ui, -apple-system, 'Segoe UI', sans-serif";
    s.color = "#6b7280";
    s.opacity = "0.9";
    s.padding = "1px 6px";
    s.border = "1px solid rgba(107, 114, 128, 0.35)";
    s.borderRadius = "9px";
    s.whiteSpace = "nowrap";
    s.cursor = "help";
    s.userSelect = "none";
    root.append(span);
    roots.set(host, span);
    update(host, summary);
    return host;
  }

  /** Shows `summary` in place (new figures after a settings change, or another generation). */
  function update(host, summary) {
    const span = roots.get(host);
    if (!span || shown.get(host) === summary) return;
    shown.set(host, summary);
    const t = text(summary);
    // only what differs: the page's own observers see as little of us as possible
    if (span.textContent !== t.label) span.textContent = t.label;
    if (span.title !== t.tip) span.title = t.tip;
    if (host.getAttribute("aria-label") !== t.tip) host.setAttribute("aria-label", t.tip);
    if (host.dataset.gen !== summary.gen) host.dataset.gen = summary.gen;
  }

  /** Puts the badge right after `anchor`, or brings the one there to `summary`. */
  function attach(anchor, summary) {
    if (!anchor || !anchor.isConnected) return;
    const next = anchor.nextElementSibling;
    if (next && next.tagName.toLowerCase() === TAG && roots.has(next)) {
      update(next, summary);
      return;
    }
    anchor.after(create(summary));
  }

  function removeAll() {
    for (const el of document.querySelectorAll(TAG)) if (roots.has(el)) el.remove();
  }

  function isBadge(node) {
    return node && node.nodeType === 1 && node.tagName.toLowerCase() === TAG;
  }

  PW.badge = { attach, removeAll, isBadge, TAG };
})();
