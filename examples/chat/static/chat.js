// chat.js -- the browser side of examples/chat.
//
// Opens a WebSocket to the path in the form's data-socket (ws:// or wss://
// as the page is http:// or https://), sends what is typed as
// {"body": "..."}, and appends each message the server sends to the list.
// The server sends three kinds of JSON text:
//   {"history": [{"id": 1, "body": "..."}, ...]}  first, on every connection
//   {"id": 7, "body": "..."}                      a new message, to everybody
//   {"error": "..."}                              to the sender of a bad one
// A message's text is put in the page with textContent, never innerHTML:
// it is the text another user typed and must stay text ("<img onerror=...>"
// shows as those characters).
"use strict";

(function () {
  const form = document.getElementById("compose");
  const input = form.elements.body;
  const list = document.getElementById("messages");
  const status = document.getElementById("status");

  // The ids shown already: the page came with some, and a message may come
  // both in a history and live (or again after a reconnection).
  const shown = new Set();
  for (const li of list.querySelectorAll("li[data-id]")) {
    shown.add(li.dataset.id);
  }

  function show(msg) {
    if (typeof msg.body !== "string") return;
    const id = String(msg.id);
    if (shown.has(id)) return;
    shown.add(id);
    const li = document.createElement("li");
    li.className = "message";
    li.dataset.id = id;
    li.textContent = msg.body;
    list.appendChild(li);
    li.scrollIntoView({ block: "nearest" });
  }

  function setStatus(state, text) {
    status.dataset.state = state;
    status.textContent = text;
  }

  function received(event) {
    let data;
    try {
      data = JSON.parse(event.data);
    } catch (e) {
      return; // not ours: the server only sends JSON
    }
    if (Array.isArray(data.history)) {
      data.history.forEach(show);
    } else if (typeof data.error === "string") {
      setStatus("error", "Not sent: " + data.error);
    } else {
      show(data);
    }
  }

  // The socket's URL: the page's host, the path the server wrote.
  const url = new URL(form.dataset.socket, location.href);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";

  // Reconnects after a loss, waiting 1, 2, 4... up to 30 seconds; the
  // history sent on each connection fills the gap.
  let socket = null;
  let delay = 1000;

  function connect() {
    socket = new WebSocket(url);
    socket.onopen = function () {
      delay = 1000;
      setStatus("open", "Connected");
    };
    socket.onmessage = received;
    socket.onclose = function (event) {
      const why = event.reason ? ": " + event.reason : "";
      setStatus("closed", "Disconnected (" + event.code + why +
                "); trying again in " + delay / 1000 + " s");
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const body = input.value;
    if (body.trim() === "" || !socket ||
        socket.readyState !== WebSocket.OPEN) {
      return;
    }
    socket.send(JSON.stringify({ body: body }));
    input.value = "";
    input.focus();
    if (status.dataset.state === "error") setStatus("open", "Connected");
  });

  connect();
})();
