// Keyboard access the page's own elements lack (mnistapp/access.py): Plotly's toolbar buttons leave the tab
// order (eight stops a chart; the charts' own hover and zoom do not need them), and a region that scrolls
// sideways, as the worked step's wide equations do, becomes a named tab stop so the keyboard can scroll it.
function fix(root) {
  for (const alt of root.querySelectorAll(".chart-alt[data-charts]")) {  // chart_alt in access.py
    alt.dataset.charts.split(" ").forEach((selector, k) => {
      const chart = selector && document.querySelector(selector);
      if (!chart) return;
      if (k > 0) return chart.setAttribute("aria-hidden", "true");
      // a figure named by the sentence; its drawing (tick labels, bars) is hidden, its toolbar is not
      if (chart.getAttribute("aria-label") !== alt.textContent) {
        chart.setAttribute("role", "figure");
        chart.setAttribute("aria-label", alt.textContent);
      }
      for (const svg of chart.querySelectorAll("svg.main-svg")) svg.setAttribute("aria-hidden", "true");
    });
  }
  for (const b of root.querySelectorAll(".modebar-btn, .modebar a")) b.setAttribute("tabindex", "-1");
  for (const el of root.querySelectorAll(".katex-display, [data-testid='stMarkdownContainer'] pre")) {
    if (!el.__watched) {  // its width changes without a DOM change when its fonts arrive or the window narrows
      el.__watched = true;
      sized.observe(el);
    }
    // once a tab stop, always one: a region that flickered in and out of the tab order would lose the focus
    if (el.scrollWidth > el.clientWidth && !el.hasAttribute("tabindex")) {
      el.setAttribute("tabindex", "0");
      el.setAttribute("role", "region");
      el.setAttribute("aria-label", el.classList.contains("katex-display") ? "Equation, scrolls sideways" : "Code, scrolls sideways");
      el.classList.add("scroll-region");
    }
  }
}

let queued = false;
function later() {
  if (queued) return;
  queued = true;
  requestAnimationFrame(() => { queued = false; fix(document); });
}
const sized = new ResizeObserver(later);

export default function () {
  if (window.__accessWatching) return;
  window.__accessWatching = true;
  new MutationObserver(later).observe(document.body, { subtree: true, childList: true, characterData: true });
  // KaTeX's fonts widen the equations when they arrive, changing no box size and no element
  document.fonts?.addEventListener("loadingdone", later);
  document.fonts?.ready.then(later);
  fix(document);
}
