// The Draw page's live canvas: a round white pen on black, mouse, touch and stylus alike.
// When the pen lifts, and on Undo and Clear, it sends the drawing at once, answered or not.
// While the pen moves, the answer comes from the browser when the page has sent the model
// (window.__liveModel, set by live_model in live_canvas.py): once per animation frame the canvas reads its
// own pixels with mnistapp/interim.js (prepended to this file) and shows the result in place of the
// server's Prediction and softmax bars, as copies over them, until the server answers the pen-up. Without
// the model (none yet, or one too big to send) the server answers the moving pen too: the canvas sends at
// most every SEND_MS, and only once Python has answered the previous send to the end: the fragment's last
// element (live_canvas_answered in live_canvas.py) calls window.__liveCanvas.answered(seq) when a rerun
// that read drawing seq has finished. So a busy server gets one drawing at a time from each visitor and
// finishes it, instead of a queue of stale ones that interrupt each other's reruns. An answer that never
// comes stops holding sends after WAIT_MS.
// What it sends: {png: the canvas as a PNG data URL, strokes: [[width, x0, y0, x1, y1, ...], ...], seq,
// model: the digest of the model it holds, or null}, so the page sends the model's arrays only when needed.
// No preventDefault on pointer events: it would also cancel the mouse events other code listens for;
// CSS touch-action: none is what stops a finger from scrolling the page instead of drawing.
// Python keeps the strokes and hands them back in data.restore, so a drawing survives a trip to another
// page or the browser's store (mnistapp/keep.py): they are drawn only on an empty canvas, never over a live drawing.
const SEND_MS = 90;
const WAIT_MS = 3000;
const COPY = "data-interim-copy", HIDDEN = "data-interim-hidden";
const STYLE = `[${HIDDEN}] { display: none !important; }
.interim-delta { width: fit-content; padding: 2px 6px; border-radius: 9999px; font-size: 0.875rem; opacity: 0.8;
  background: rgba(128, 128, 128, 0.15); }`;

// The interim answer takes the place of the server's on the page: copies of the Prediction metric's value and
// delta and of the softmax bars (mnistapp/figures/bars.py) are shown, the originals hidden but never changed,
// so React keeps its own nodes, and whatever the server last sent shows again as soon as the copies go.
function cover(orig) {  // the copy shown in place of `orig`, made once until uncover()
  if (!orig.__copy?.isConnected) {
    orig.__copy = orig.cloneNode(true);
    orig.__copy.removeAttribute("data-testid");
    orig.__copy.setAttribute(COPY, "");
    orig.after(orig.__copy);
  }
  orig.setAttribute(HIDDEN, "");
  return orig.__copy;
}

function original(root, selector) {  // the first match that is not in one of our copies
  return [...root.querySelectorAll(selector)].find((el) => !el.closest(`[${COPY}]`));
}

function uncover() {
  document.querySelectorAll(`[${COPY}]`).forEach((el) => el.remove());
  document.querySelectorAll(`[${HIDDEN}]`).forEach((el) => el.removeAttribute(HIDDEN));
}

// The words the page shows, in the visitor's language (live_canvas.py's `words`): English until the first data.
let words = { prediction: "Prediction", sure: "{p} sure", top: "Top three: {digits}.", comma: ", ",
  none: "No drawing yet: no probabilities.", tip: "digit {d}: p = {p}, logit z2 = {z}", decimal: ".", space: "" };
const fill = (template, values) => template.replace(/\{(\w+)\}/g, (m, name) => (name in values ? values[name] : m));
const pct = (p) => percent(p, words);
const num = (x, digits) => x.toFixed(digits).replace(".", words.decimal);

function barsText(probs) {  // bars_text in mnistapp/figures/alt_text.py
  if (!probs) return words.none;
  const top = [...probs.keys()].sort((a, b) => probs[b] - probs[a]).slice(0, 3);  // stable, as NumPy's
  return fill(words.top, { digits: top.map((d) => `${d} (${pct(probs[d])})`).join(words.comma) });
}

// answer: {logits, probs} or null (no digit: the empty state); bars: {height, answer, muted} of bars.py.
function showInterim(answer, bars) {
  const probs = answer && answer.probs;
  const winner = probs ? probs.indexOf(Math.max(...probs)) : null;
  const text = (el, t) => { (el.querySelector("p") || el).textContent = t; };
  const metric = [...document.querySelectorAll('[data-testid="stMetric"]')].find(
    (m) => m.querySelector('[data-testid="stMetricLabel"]')?.textContent.trim() === words.prediction);
  const value = metric && original(metric, '[data-testid="stMetricValue"]');
  const shown = value && original(value, ":scope > *");
  if (shown) {
    text(cover(shown), probs ? String(winner) : "–");
    const delta = original(metric, '[data-testid="stMetricDelta"]')?.parentElement;
    let pill = metric.querySelector(".interim-delta");
    if (delta) {
      pill?.remove();
      pill = cover(delta);
    } else if (!pill) {  // the empty canvas's metric has no delta: a pill of our own in its place
      pill = document.createElement("div");
      pill.className = "interim-delta";
      pill.setAttribute(COPY, "");
      value.after(pill);
    }
    text(pill, probs ? fill(words.sure, { p: pct(probs[winner]) }) : "");
    pill.style.display = probs ? "" : "none";
  }
  const chart = original(document, ".softmax-bars");  // the page's first: the Prediction's
  if (!chart) return;
  const copy = cover(chart);
  copy.setAttribute("aria-label", barsText(probs));
  copy.querySelectorAll(".col").forEach((col, d) => {
    const p = probs ? probs[d] : 0;
    col.title = probs ? fill(words.tip, { d, p: num(p, 4), z: num(answer.logits[d], 2) }) : "";
    col.dataset.p = p.toFixed(6);
    col.querySelector("span").textContent = p >= 0.005 ? pct(p) : "";
    const bar = col.querySelector(".bar");
    bar.style.height = `${roundHalfEven(p * bars.height)}px`;
    bar.style.background = d === winner ? bars.answer : bars.muted;
  });
  const alt = original(chart.parentElement, ":scope > .softmax-alt");
  if (alt) cover(alt).textContent = barsText(probs);
}

export default function ({ parentElement, data, setStateValue }) {
  const root = parentElement.querySelector(".live-canvas");
  const canvas = root.querySelector("canvas");
  let s = root.__live;  // this function runs on every rerun; the state and listeners are set up once
  if (!s) {
    s = root.__live = { strokes: [], current: null, width: 18, seq: 0, acked: 0, lastSent: 0, timer: null,
      answeredAt: 0, took: 0, frame: 0, answer: null, shown: false, bars: data.bars };
    const ctx = canvas.getContext("2d", { willReadFrequently: true });  // read back on every frame the pen moves
    if (!document.getElementById("interim-style")) {
      const style = document.head.appendChild(document.createElement("style"));
      style.id = "interim-style";
      style.textContent = STYLE;
    }
    const size = data.size || 280;
    canvas.width = canvas.height = size;
    canvas.style.width = size + "px";  // at most: CSS shrinks it to a narrow column, keeping it square

    const paint = (stroke) => {
      const [w, ...xy] = stroke;
      ctx.strokeStyle = ctx.fillStyle = "#fff";
      ctx.lineWidth = w;
      ctx.lineCap = ctx.lineJoin = "round";
      ctx.beginPath();
      if (xy.length === 2) {  // a tap: a round dot
        ctx.arc(xy[0], xy[1], w / 2, 0, 2 * Math.PI);
        ctx.fill();
        return;
      }
      ctx.moveTo(xy[0], xy[1]);
      for (let i = 2; i < xy.length; i += 2) ctx.lineTo(xy[i], xy[i + 1]);
      ctx.stroke();
    };
    const redraw = () => {
      ctx.fillStyle = "#000";
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      s.strokes.forEach(paint);
      if (s.current) paint(s.current);
    };
    const send = () => {
      clearTimeout(s.timer);
      s.timer = null;
      s.waiting = false;
      s.lastSent = performance.now();
      const strokes = s.current ? [...s.strokes, s.current] : s.strokes;
      const empty = strokes.length === 0;
      setStateValue("drawing", { png: empty ? null : canvas.toDataURL("image/png"), strokes, seq: ++s.seq,
        model: window.__liveModel?.digest ?? null });
    };
    const think = () => {  // the interim answer for the canvas as it is now
      s.frame = 0;
      const model = window.__liveModel;
      if (!model) return;
      s.answer = interimAnswer(model, ctx.getImageData(0, 0, canvas.width, canvas.height));
      s.shown = true;
      showInterim(s.answer, s.bars);
    };
    const moved = () => {  // the pen drew: answer in the browser if it can, else ask the server
      if (!window.__liveModel) return sendSoon();
      if (!s.frame) s.frame = requestAnimationFrame(think);  // at most once per frame
    };
    const settled = () => {  // the drawing is final: its interim answer now, not in a frame that may come late
      if (!s.frame) return;
      cancelAnimationFrame(s.frame);
      think();
    };
    const sendSoon = () => {  // throttle while the pen moves: the newest drawing goes out within SEND_MS
      if (s.timer) return;
      const now = performance.now();
      if (s.acked < s.seq && now - s.lastSent < WAIT_MS) {  // the last send is unanswered: wait for it
        s.waiting = true;
        return;
      }
      // ...and after an answer, rest as long as it took: a server slowed by many visitors gets at most half
      // of its time from each one's moving pen, and so answers the pen-up sooner
      const rest = Math.max(SEND_MS - (now - s.lastSent), s.took - (now - s.answeredAt));
      s.timer = setTimeout(send, Math.max(0, rest));
    };
    s.answered = (ack) => {  // a rerun that read drawing `ack` has finished: a move made meanwhile may go out now
      // the rerun may have drawn the server's answer to an earlier pen-up over ours: the pen is down, ours is newer
      if (s.current && s.shown) showInterim(s.answer, s.bars);
      // a seq above the newest sent is an answer to a canvas element this one replaced: not ours
      if (!(ack > s.acked) || ack > s.seq) return;
      s.acked = ack;
      s.answeredAt = performance.now();
      if (ack === s.seq) s.took = s.answeredAt - s.lastSent;
      if (ack === s.seq && !s.current) {  // the server's answer to the finished drawing replaces ours
        uncover();
        s.shown = false;
      }
      if (s.waiting && s.current) {
        s.waiting = false;
        sendSoon();
      }
    };
    const point = (e) => {
      const r = canvas.getBoundingClientRect();
      const k = canvas.width / r.width;  // CSS px -> canvas px, should the page scale the canvas
      return [Math.round((e.clientX - r.left) * k * 10) / 10, Math.round((e.clientY - r.top) * k * 10) / 10];
    };
    canvas.addEventListener("pointerdown", (e) => {
      if (e.button !== undefined && e.button > 0) return;
      canvas.setPointerCapture(e.pointerId);
      s.current = [s.width, ...point(e)];
      redraw();
      moved();
    });
    canvas.addEventListener("pointermove", (e) => {
      if (!s.current) return;
      const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
      for (const ev of events.length ? events : [e]) s.current.push(...point(ev));
      redraw();
      moved();
    });
    const lift = (e) => {
      if (!s.current) return;
      s.strokes.push(s.current);
      s.current = null;
      redraw();
      settled();
      send();  // no debounce on the last send: the answer for the finished stroke goes out now
    };
    canvas.addEventListener("pointerup", lift);
    canvas.addEventListener("pointercancel", lift);
    root.querySelector("button.undo").addEventListener("click", () => {
      s.strokes.pop();
      redraw();
      send();
    });
    root.querySelector("button.clear").addEventListener("click", () => {
      s.strokes = [];
      s.current = null;
      redraw();
      send();
    });
    s.redraw = redraw;
    redraw();
    if (data.preload && !window.__plotlyPreload) {  // other pages' charts: plotly.js loads once the page is idle
      window.__plotlyPreload = true;
      const idle = window.requestIdleCallback || ((f) => setTimeout(f, 500));
      idle(() => import(new URL(data.preload, document.baseURI).href).catch(() => {}));
    }
  }
  if (Array.isArray(data.restore) && !s.strokes.length && !s.current) {  // a new element, or one read back
    s.strokes = data.restore.map((st) => [...st]);
    s.redraw();
  }
  s.width = data.width || s.width;
  s.bars = data.bars || s.bars;
  if (data.words) {  // the visitor's language: the buttons, the canvas's name and the interim answer's words
    words = { ...words, ...data.words };
    root.querySelector("button.undo").textContent = words.undo;
    root.querySelector("button.clear").textContent = words.clear;
    canvas.setAttribute("aria-label", words.area);
    root.querySelector(".keys").innerHTML = words.keys;  // HTML made (and escaped) by live_canvas.py
  }
  s.interim = () => s.answer && Array.from(s.answer.probs);  // for tests: the last interim probabilities, or null
  window.__liveCanvas = s;  // one live canvas on a page: live_canvas_answered reaches it here
}
