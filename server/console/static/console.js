// seedtrace ops console: local times and live updates. Plain JavaScript, no libraries.
"use strict";

// Show every <time datetime="...Z"> in the browser's time zone; the UTC text stays as the
// title, so the exact stored value is one hover away.
function localTimes(root) {
  for (const el of root.querySelectorAll("time[datetime]")) {
    if (el.dataset.local) continue;
    const d = new Date(el.getAttribute("datetime"));
    if (isNaN(d)) continue;
    el.title = el.textContent;
    // Swedish formatting is ISO-like (2026-11-24 14:05:09), unambiguous in every country.
    const options = { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit",
      minute: "2-digit", hourCycle: "h23" };
    if (el.closest(".precise")) options.second = "2-digit";
    el.textContent = d.toLocaleString("sv-SE", options);
    el.dataset.local = "1";
  }
}

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
    localTimes(template.content);
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
    say("Live, updated " + new Date().toLocaleTimeString("sv-SE"));
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
  localTimes(document);
  confirmations(document);
  for (const el of document.querySelectorAll("[data-stream]")) connect(el);
  for (const el of document.querySelectorAll("[data-print]")) {
    el.addEventListener("click", () => window.print());
  }
});
