// The Draw page's live canvas: a round white pen on black, mouse, touch and stylus alike.
// While the pen moves it sends the drawing at most every SEND_MS, and only once Python has answered the
// previous send to the end: the page's last element (live_canvas_answered in live_canvas.py) calls
// window.__liveCanvas.answered(seq) when a rerun that read drawing seq has finished. So a busy server
// gets one drawing at a time from each visitor and finishes it, instead of a queue of stale ones that
// interrupt each other's reruns. When the pen lifts, and on Undo and Clear, it sends at once, answered
// or not. An answer that never comes stops holding sends after WAIT_MS.
// What it sends: {png: the canvas as a PNG data URL, strokes: [[width, x0, y0, x1, y1, ...], ...], seq}.
// No preventDefault on pointer events: it would also cancel the mouse events other code listens for;
// CSS touch-action: none is what stops a finger from scrolling the page instead of drawing.
// Python keeps the strokes and hands them back in data.restore, so a drawing survives a trip to another
// page: they are drawn again only when the element is new (mounted), never over a live drawing.
const SEND_MS = 90;
const WAIT_MS = 3000;

export default function ({ parentElement, data, setStateValue }) {
  const root = parentElement.querySelector(".live-canvas");
  const canvas = root.querySelector("canvas");
  let s = root.__live;  // this function runs on every rerun; the state and listeners are set up once
  if (!s) {
    s = root.__live = { strokes: [], current: null, width: 18, seq: 0, acked: 0, lastSent: 0, timer: null,
      answeredAt: 0, took: 0 };
    const ctx = canvas.getContext("2d");
    const size = data.size || 280;
    canvas.width = canvas.height = size;
    canvas.style.width = canvas.style.height = size + "px";

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
      setStateValue("drawing", { png: empty ? null : canvas.toDataURL("image/png"), strokes, seq: ++s.seq });
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
      // a seq above the newest sent is an answer to a canvas element this one replaced: not ours
      if (!(ack > s.acked) || ack > s.seq) return;
      s.acked = ack;
      s.answeredAt = performance.now();
      if (ack === s.seq) s.took = s.answeredAt - s.lastSent;
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
      sendSoon();
    });
    canvas.addEventListener("pointermove", (e) => {
      if (!s.current) return;
      const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
      for (const ev of events.length ? events : [e]) s.current.push(...point(ev));
      redraw();
      sendSoon();
    });
    const lift = (e) => {
      if (!s.current) return;
      s.strokes.push(s.current);
      s.current = null;
      redraw();
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
    if (Array.isArray(data.restore)) s.strokes = data.restore.map((st) => [...st]);
    redraw();
    if (data.preload && !window.__plotlyPreload) {  // other pages' charts: plotly.js loads once the page is idle
      window.__plotlyPreload = true;
      const idle = window.requestIdleCallback || ((f) => setTimeout(f, 500));
      idle(() => import(new URL(data.preload, document.baseURI).href).catch(() => {}));
    }
  }
  s.width = data.width || s.width;
  window.__liveCanvas = s;  // one live canvas on a page: live_canvas_answered reaches it here
}
