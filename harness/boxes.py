"""Measure where a page's elements land in the browser: overlaps between blocks, anything cut off or outside the
window horizontally, and a page that scrolls sideways. The width tests and the presenter-mode test use it.

`layout_problems(page)` returns a list of sentences, empty when the layout is right at the current window size.
"""
from __future__ import annotations

from playwright.sync_api import TimeoutError as PlaywrightTimeout

# The blocks a visitor reads or clicks; a block inside another (an image in a button) is measured with it.
LEAVES = ", ".join([
    "canvas", "iframe", "img", ".js-plotly-plot", '[data-testid="stMetric"]', "button", "input",
    '[data-testid="stCaptionContainer"]', ".softmax-bars", '[data-testid="stHeading"]', '[data-testid="stSlider"]',
    '[data-testid="stSelectbox"]', '[data-testid="stAlert"]', '[data-testid="stMarkdownContainer"]',
])

MEASURE = """(leafSelector) => {
  const main = document.querySelector('[data-testid="stMain"]');
  const vw = document.documentElement.clientWidth;
  const problems = [];
  const name = (el) => {
    const id = el.getAttribute('data-testid') || el.getAttribute('aria-label') || '';
    const text = (el.innerText || el.getAttribute('alt') || '').trim().replace(/\\s+/g, ' ').slice(0, 40);
    return `${el.tagName.toLowerCase()}${id ? '[' + id + ']' : ''}${text ? ' "' + text + '"' : ''}`;
  };
  const shown = (el) => {
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) return false;
    const s = getComputedStyle(el);
    return s.visibility !== 'hidden' && s.display !== 'none' && !el.closest('[aria-hidden="true"], [hidden]');
  };
  const up = (el) => el.parentElement || el.getRootNode().host;  // out of a shadow root to its host
  const visuallyHidden = (el) => {  // an input kept for screen readers and the keyboard (a toggle's, a slider's)
    for (let a = el; a && a !== main; a = up(a)) {
      const b = a.getBoundingClientRect(), s = getComputedStyle(a);
      if (b.width <= 2 && s.overflowX !== 'visible' || s.opacity === '0') return true;
    }
    return false;
  };
  if (document.documentElement.scrollWidth > vw + 1)
    problems.push(`the page scrolls sideways: ${document.documentElement.scrollWidth} px wide in ${vw} px`);
  if (main && main.scrollWidth > main.clientWidth + 1)
    problems.push(`the main section scrolls sideways: ${main.scrollWidth} px wide in ${main.clientWidth} px`);
  const deep = (root) => {  // querySelectorAll that also looks inside components' shadow roots
    const found = [...root.querySelectorAll(leafSelector)];
    for (const host of root.querySelectorAll('*')) if (host.shadowRoot) found.push(...deep(host.shadowRoot));
    return found;
  };
  const leaves = deep(main).filter(shown).filter(el => !visuallyHidden(el));
  for (const el of leaves) {
    const r = el.getBoundingClientRect();
    if (r.left < -1 || r.right > vw + 1)
      problems.push(`${name(el)} is outside the window: ${Math.round(r.left)}..${Math.round(r.right)} of ${vw} px`);
    // cut off by an ancestor that clips (overflow other than visible), as a column or a toolbar does
    for (let a = up(el); a && a !== document.body; a = up(a)) {
      const s = getComputedStyle(a);
      if (s.overflowX === 'visible' || a.contains(main) && a !== main) continue;
      const b = a.getBoundingClientRect();
      if (r.left < b.left - 1 || r.right > b.right + 1) {
        problems.push(`${name(el)} is cut off by ${name(a).slice(0, 30)}: ${Math.round(r.left)}..${Math.round(r.right)}`
                      + ` in ${Math.round(b.left)}..${Math.round(b.right)}`);
        break;
      }
    }
    // its own text cut short (an ellipsis, or words that do not fit a button)
    const text = el.matches('button') ? (el.querySelector('p, span') || el) : null;
    if (text && text.scrollWidth > text.clientWidth + 1)
      problems.push(`${name(el)}'s text is cut: ${text.scrollWidth} px of text in ${text.clientWidth} px`);
    // a wide block (the canvas, a chart) spilling out of its column
    let column = null;
    for (let a = el; a && !column; a = up(a))  // a column whose box gave way (display: contents) holds nothing
      if (a.matches('[data-testid="stColumn"]') && getComputedStyle(a).display !== 'contents') column = a;
    if (column) {
      const c = column.getBoundingClientRect();
      if (r.left < c.left - 1 || r.right > c.right + 1)
        problems.push(`${name(el)} spills out of its column: ${Math.round(r.left)}..${Math.round(r.right)}`
                      + ` in ${Math.round(c.left)}..${Math.round(c.right)}`);
    }
  }
  // overlaps between blocks, neither inside the other
  const inside = (o, el) => { for (let a = el; a; a = up(a)) if (a === o) return true; return false; };
  const outer = leaves.filter(el => !leaves.some(o => o !== el && inside(o, el)));
  const boxes = outer.map(el => [el, el.getBoundingClientRect()]);
  for (let i = 0; i < boxes.length; i++) {
    const [a, ra] = boxes[i];
    for (let j = i + 1; j < boxes.length; j++) {
      const [b, rb] = boxes[j];
      const layer = (el) => el.tagName === 'CANVAS' && getComputedStyle(el).position === 'absolute';
      if (layer(a) && layer(b)) continue;  // the classic canvas's layers of one drawing
      const w = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
      const h = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
      if (w > 2 && h > 2)
        problems.push(`${name(a)} and ${name(b)} overlap by ${Math.round(w)}x${Math.round(h)} px`);
    }
  }
  return problems;
}"""

SIDEBAR_OPEN = """() => { const s = document.querySelector('[data-testid="stSidebar"]');
  return !!s && s.getAttribute('data-collapsed') === 'false'; }"""


def layout_problems(page) -> list[str]:
    """What is wrong with the page's layout at the window's current size (see the module docstring)."""
    return page.evaluate(MEASURE, LEAVES)


def settled_layout_problems(page, timeout_ms: int = 15000) -> list[str]:
    """layout_problems once two measurements 300 ms apart agree (charts redraw a moment after a resize)."""
    last, waited = None, 0
    while True:
        problems = layout_problems(page)
        if problems == last or waited >= timeout_ms:
            return problems
        last = problems
        page.wait_for_timeout(300)
        waited += 300


def set_sidebar(page, open_: bool, timeout_ms: int = 15000) -> None:
    """Open or close the sidebar with its own buttons, and wait until it has (after a resize Streamlit may
    still be opening or closing it by itself)."""
    button = page.locator('[data-testid="stExpandSidebarButton"]' if open_ else
                          '[data-testid="stSidebarCollapseButton"] button')
    for _ in range(timeout_ms // 500):
        if page.evaluate(SIDEBAR_OPEN) == open_:
            return
        try:
            if not open_:
                page.locator('[data-testid="stSidebar"]').hover(timeout=500)
            button.click(timeout=500)
        except PlaywrightTimeout:  # not there yet, or gone: look again
            pass
        page.wait_for_timeout(500)
    raise AssertionError(f"the sidebar did not {'open' if open_ else 'close'}")
