// The visitor's store in their own browser (mnistapp/keep.py): IndexedDB database "mnist-keep" with two object
// stores, "meta" (small JSON values by name: the drawing, each model's card, which model is in use) and "blob"
// (each model's file, base64, by the model's id), so listing what is kept never reads a model's bytes.
// data: {session, ops: [{id, op: "put" | "delete" | "clear", store, name, value}], want, latest: {name: value}}.
// - session: a token of the server's session; when it is new to this element (a reload, or a reconnect to
//   another server) every "meta" value goes back as state "index": {session, items, files: the "blob" keys, error}.
// - ops: writes, done in order, each once; state "done": {ids, error} says which finished.
// - want: "<id>.<n>": the file kept under id goes back as state "blob": {id, ask: want, data, error}, once for each n
//   (a page change can drop an answer: the next full run asks again with another n).
// - latest: values written whenever they change, and never acknowledged (the drawing, on every stroke).
// Every failure (no IndexedDB, blocked, full, read-only, corrupt) is caught and reported as a sentence in
// `error`; the page goes on either way.
const DB = "mnist-keep", STORES = ["meta", "blob"];
let opening = null;

function openDb() {  // one connection per page, shared by every element of this component
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB, 1);
      request.onupgradeneeded = () => STORES.forEach((name) => request.result.createObjectStore(name));
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
      request.onblocked = () => reject(new Error("the database is blocked by another tab"));
    });
    opening.catch(() => { opening = null; });
  }
  return opening;
}

async function run(store, mode, work) {  // work(objectStore) -> request or undefined; resolves when committed
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(store, mode);
    const request = work(tx.objectStore(store));
    tx.oncomplete = () => resolve(request && request.result);
    tx.onerror = tx.onabort = () => reject(tx.error || new Error("the write was aborted"));
  });
}

async function readAll() {  // every "meta" value, by name
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const items = {}, tx = db.transaction("meta", "readonly");
    const cursor = tx.objectStore("meta").openCursor();
    cursor.onsuccess = () => {
      const c = cursor.result;
      if (c) { items[c.key] = c.value; c.continue(); }
    };
    tx.oncomplete = () => resolve(items);
    tx.onerror = tx.onabort = () => reject(tx.error);
  });
}

async function apply(op) {
  if (op.op === "clear") {
    for (const name of STORES) await run(name, "readwrite", (s) => { s.clear(); });
  } else if (op.op === "delete") {
    await run(op.store, "readwrite", (s) => { s.delete(op.name); });
  } else {
    await run(op.store, "readwrite", (s) => { s.put(op.value, op.name); });
  }
}

function why(e) {  // a sentence for the page's notice
  const name = (e && e.name) || "Error";
  if (name === "QuotaExceededError") return "this browser's storage for the site is full";
  if (name === "SecurityError") return "this browser does not allow the site to store data";
  if (name === "ReadOnlyError") return "this browser's storage is read-only";
  return `this browser's storage failed (${name}: ${(e && e.message) || "no reason given"})`;
}

const done = window.__keepDone || (window.__keepDone = new Set());  // op ids written, across elements
let queue = window.__keepQueue || Promise.resolve();  // one write after another, in the order sent

export default function ({ parentElement, data, setStateValue }) {
  const root = parentElement;
  const s = root.__keep || (root.__keep = { session: null, latest: {}, want: null });
  if (data.session && data.session !== s.session) {
    s.session = data.session;
    const session = data.session;
    Promise.all([readAll(), run("blob", "readonly", (st) => st.getAllKeys())])
      .then(([items, files]) => setStateValue("index", { session, items, files, error: null }),
        (e) => setStateValue("index", { session, items: {}, files: [], error: why(e) }));
  }
  const ops = (data.ops || []).filter((op) => !done.has(op.id));
  for (const [name, value] of Object.entries(data.latest || {})) {
    const text = JSON.stringify(value);
    if (s.latest[name] === text) continue;
    s.latest[name] = text;
    ops.push({ id: null, op: value === null ? "delete" : "put", store: "meta", name, value });
  }
  if (ops.length) {
    ops.forEach((op) => op.id && done.add(op.id));
    queue = window.__keepQueue = queue.then(async () => {
      let error = null;
      for (const op of ops) {
        try { await apply(op); } catch (e) { error = why(e); break; }
      }
      const ids = ops.map((op) => op.id).filter(Boolean);
      if (ids.length || error) setStateValue("done", { ids, error });
    });
  }
  if (data.want && data.want !== s.want) {  // each full run asks again until the file has come
    s.want = data.want;
    const ask = data.want, id = ask.split(".")[0];  // each answer differs, so the server's callback runs for each
    queue = window.__keepQueue = queue.then(() => run("blob", "readonly", (st) => st.get(id)))
      .then((value) => setStateValue("blob", { id, ask, data: typeof value === "string" ? value : null, error: null }),
        (e) => setStateValue("blob", { id, ask, data: null, error: why(e) }));
  }
}
