"""Read and write the app's store in a test browser's IndexedDB (mnistapp/keep.js), as a visitor could, and
wait for the sidebar."""
from __future__ import annotations

# The store as the app opens it (mnistapp/keep.js), read and written from the page, as a visitor could.
OPEN = """() => new Promise((resolve, reject) => {
  const r = indexedDB.open('mnist-keep', 1);
  r.onupgradeneeded = () => ['meta', 'blob'].forEach((n) => r.result.createObjectStore(n));
  r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error); })"""
READ = f"""async (store) => {{ const db = await ({OPEN})();
  return new Promise((resolve) => {{ const out = {{}}; const tx = db.transaction(store);
    tx.objectStore(store).openCursor().onsuccess = (e) => {{ const c = e.target.result;
      if (c) {{ out[c.key] = c.value; c.continue(); }} }};
    tx.oncomplete = () => {{ db.close(); resolve(out); }}; }}); }}"""
WRITE = f"""async ([store, name, value]) => {{ const db = await ({OPEN})();
  return new Promise((resolve) => {{ const tx = db.transaction(store, 'readwrite');
    tx.objectStore(store).put(value, name); tx.oncomplete = () => {{ db.close(); resolve(true); }}; }}); }}"""


def kept(page, store="meta") -> dict:
    return page.evaluate(READ, store)


def wait_kept(page, what, timeout_s=60):
    """Wait until the browser's store holds something `what(meta)` accepts (the writes go out after the rerun)."""
    for _ in range(int(timeout_s * 4)):
        if what(kept(page)):
            return
        page.wait_for_timeout(250)
    raise AssertionError(f"never kept: {sorted(kept(page))}")


def sidebar_text(page) -> str:
    return page.locator('[data-testid="stSidebar"]').inner_text()


def wait_sidebar(page, text, timeout_ms=60000):
    page.locator('[data-testid="stSidebar"]').get_by_text(text).first.wait_for(timeout=timeout_ms)
