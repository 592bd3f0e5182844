// seedtrace ops console: live updates. Plain JavaScript, no libraries. (Times come from the
// server on the premises' clock, with the zone: the browser's own zone is never used.)
"use strict";

// Subscribe to a server-sent events stream named by data-stream on a container.
//   data-mode="prepend": each "row" message is HTML for rows to put first (the feed);
//   data-mode="replace": each message replaces the container's HTML (health, notifications).
function connect(container) {
  const status = document.getElementById(container.dataset.statusId || "live-status");
  const source = new EventSource(container.dataset.stream);
  const say = (text) => { if (status) status.textContent = text; };
  source.onopen = () => say("Live");
  source.onerror = () => say("Reconnecting...");
  const onMessage = (message) => {
    const template = document.createElement("template");
    template.innerHTML = message.data;
    if (container.dataset.mode === "prepend") {
      const rows = Array.from(template.content.children);
      for (const row of rows.reverse()) {
        row.classList.add("fresh");
        container.prepend(row);
      }
      const empty = document.getElementById("feed-empty");
      if (empty) empty.remove();
      const max = Number(container.dataset.max || 500);
      while (container.children.length > max) container.lastElementChild.remove();
    } else {
      container.replaceChildren(template.content);
    }
    say("Live");
  };
  source.addEventListener("row", onMessage);
  source.addEventListener("replace", onMessage);
  // The server ends the stream when the session ended (signed out elsewhere, expired, or
  // the person was cancelled): leave the page rather than keep showing data.
  source.addEventListener("ended", () => {
    source.close();
    window.location.assign("/console/sign-in?next=" + encodeURIComponent(window.location.pathname));
  });
}

// Ask before a button with data-confirm does something that cannot be undone.
function confirmations(root) {
  for (const form of root.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (e) => {
      if (!window.confirm(form.dataset.confirm)) e.preventDefault();
    });
  }
}

document.addEventListener("DOMContentLoaded", () => {
  confirmations(document);
  for (const el of document.querySelectorAll("[data-stream]")) connect(el);
  // Filter menus apply as soon as one is changed (the button stays for keyboard users).
  for (const select of document.querySelectorAll("form.filters select")) {
    select.addEventListener("change", () => select.form.submit());
  }
  for (const el of document.querySelectorAll("[data-print]")) {
    el.addEventListener("click", () => window.print());
  }
});
