// The model for the live canvas's interim answers (live_model in live_canvas.py): the browser keeps the one it
// has while the digest stays the same, and fetches a new one's float32 file, once, when it is offered a URL.
// Until the file has arrived there is no model, and the canvas sends while the pen moves as it does without one.
export default function ({ data }) {
  window.__liveModel = receiveModel(data, window.__liveModel);
  if (!data || !data.url || window.__liveModel || window.__liveModelFetching === data.digest) return;
  const wanted = (window.__liveModelFetching = data.digest);
  fetch(new URL(data.url, document.baseURI))
    .then((response) => (response.ok ? response.arrayBuffer() : null))
    .then((buffer) => {
      if (buffer && window.__liveModelFetching === wanted) window.__liveModel = receiveModel(data, null, buffer);
    })
    .catch(() => {})
    .finally(() => {
      if (window.__liveModelFetching === wanted) window.__liveModelFetching = null;
    });
}
