// The sandbox client: long-polls /sandbox/state and renders it; every click goes to the app as
// Slack would send it (the server signs it).
"use strict";

const $ = (id) => document.getElementById(id);
let me = localStorage.getItem("cascade-sandbox-user") || "";
let view = "dm";
let state = null;
let version = -1;
let pollId = 0;
let fieldErrors = {};

function nameOf(id) {
  const person = (state?.people || []).find((p) => p.id === id);
  return person ? person.name : "";
}

function channelOf(id) {
  return state?.channels?.[id] || "";
}

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ user: me, ...body }),
  });
  const data = await response.json().catch(() => ({}));
  $("error").textContent = response.ok ? "" : data.error || `HTTP ${response.status}`;
  return data;
}

async function poll() {
  const mine = ++pollId;
  for (;;) {
    try {
      const response = await fetch(`/sandbox/state?user=${encodeURIComponent(me)}&since=${version}`);
      if (mine !== pollId) return;
      const next = await response.json();
      const changed = next.version !== version;
      state = next;
      version = state.version;
      if (changed) render();
      else renderClock();  // nothing new: leave the pane (and any open menu) alone
    } catch (error) {
      if (mine !== pollId) return;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

function restart() {
  version = -1;
  poll();
}

function actionContext(extra) {
  return {
    nameOf,
    channelOf,
    people: state?.people || [],
    onAction: (action) => post("/sandbox/action", { action, ...extra }),
  };
}

function formatTime(iso, tz) {
  try {
    return new Intl.DateTimeFormat("en-GB", {
      weekday: "short", day: "numeric", month: "short", year: "numeric",
      hour: "2-digit", minute: "2-digit", timeZone: tz || "UTC", timeZoneName: "short",
    }).format(new Date(iso));
  } catch (error) {
    return iso;
  }
}

// A message's time as the sandbox's clock stamped it (`ts`), in the chosen person's time zone.
function formatTs(ts, tz) {
  const when = new Date(Number(String(ts).split(".")[0]) * 1000);
  try {
    return new Intl.DateTimeFormat("en-GB", {
      weekday: "short", hour: "2-digit", minute: "2-digit", timeZone: tz || "UTC",
    }).format(when);
  } catch (error) {
    return when.toISOString();
  }
}

function renderPeople() {
  const select = $("who");
  const current = [...select.options].map((o) => o.value).join(",");
  const wanted = ["", ...state.people.map((p) => p.id)].join(",");
  if (current !== wanted) {
    select.replaceChildren(Object.assign(el("option", "", "Pick a person…"), { value: "" }));
    for (const person of state.people) {
      const option = el("option", "", `${person.name} @${person.handle}${person.admin ? " · admin" : ""} · ${person.tz}`);
      option.value = person.id;
      select.append(option);
    }
  }
  select.value = me;
}

function renderMessage(message) {
  const row = el("div", `message${message.ephemeral ? " ephemeral" : ""}${message.bot ? " from-bot" : ""}`);
  row.dataset.ts = message.ts;
  row.dataset.testid = "message";
  const avatar = el("div", "avatar", (message.name || "?").slice(0, 1));
  const body = el("div", "message-body");
  const meta = el("div", "meta");
  meta.append(el("span", "sender", message.name));
  const tz = (state?.people || []).find((p) => p.id === me)?.tz;
  const time = el("span", "time", formatTs(message.ts, tz));
  time.dataset.testid = "time";
  time.title = formatTime(new Date(Number(message.ts.split(".")[0]) * 1000).toISOString(), tz);
  meta.append(time);
  if (message.ephemeral) meta.append(el("span", "only-you", "Only visible to you"));
  body.append(meta);
  if (message.blocks && message.blocks.length) {
    body.append(renderBlocks(message.blocks, actionContext({ message_ts: message.ts })));
  } else {
    const text = el("div", "text");
    text.innerHTML = mrkdwnToHtml(message.text, nameOf, channelOf);
    body.append(text);
  }
  for (const file of message.files || []) {
    if (file.image) {
      const img = el("img", "upload");
      img.src = file.url;
      img.alt = file.alt || file.title;
      body.append(img);
    } else {
      const link = el("a", "file", file.title);
      link.href = file.url;
      body.append(link);
    }
  }
  row.append(avatar, body);
  return row;
}

function renderPane() {
  const pane = $("pane");
  const stickToBottom = pane.scrollHeight - pane.scrollTop - pane.clientHeight < 40;
  pane.replaceChildren();
  $("composer").hidden = view !== "dm";
  if (!me) {
    $("title").textContent = "Cascade";
    pane.append(el("p", "empty", "Pick who you are, top left. Everyone in this workspace is listed there."));
    return;
  }
  if (view === "dm") {
    $("title").textContent = `Cascade — messages with ${nameOf(me)}`;
    if (!state.dm.length) pane.append(el("p", "empty", "No messages yet. Try /goals help."));
    for (const message of state.dm) pane.append(renderMessage(message));
  } else if (view === "home") {
    $("title").textContent = "Cascade — Home";
    if (state.home) pane.append(renderBlocks(state.home.blocks, actionContext({ view_id: state.home.id })));
    else pane.append(el("p", "empty", "Opening Home…"));
  } else {
    $("title").textContent = `# ${state.channel.name}`;
    if (!state.channel.messages.length) pane.append(el("p", "empty", "Leadership summaries appear here."));
    for (const message of state.channel.messages) pane.append(renderMessage(message));
  }
  if (stickToBottom || view !== "home") pane.scrollTop = pane.scrollHeight;
}

function renderModal() {
  const layer = $("modal-layer");
  const modal = state.modal;
  if (!modal) {
    layer.hidden = true;
    layer.replaceChildren();
    layer.dataset.viewId = "";
    return;
  }
  if (layer.dataset.viewId === modal.id && layer.dataset.hash === JSON.stringify(modal)) {
    showFieldErrors();
    return;  // unchanged: keep what the person has typed
  }
  layer.dataset.viewId = modal.id;
  layer.dataset.hash = JSON.stringify(modal);
  fieldErrors = {};
  const box = el("form", "modal");
  box.append(el("h2", "", decodeSlack(modal.title?.text ?? "")));
  const blocks = renderBlocks(modal.blocks, { ...actionContext({ view_id: modal.id }) });
  box.append(blocks);
  const buttons = el("div", "modal-buttons");
  const cancel = el("button", "bk-button", decodeSlack(modal.close?.text ?? "Cancel"));
  cancel.type = "button";
  cancel.dataset.testid = "modal-cancel";
  cancel.addEventListener("click", () => post("/sandbox/close", {}));
  buttons.append(cancel);
  if (modal.submit) {
    const submit = el("button", "bk-button primary", decodeSlack(modal.submit.text));
    submit.type = "submit";
    submit.dataset.testid = "modal-submit";
    buttons.append(submit);
  }
  box.append(buttons);
  box.addEventListener("submit", async (event) => {
    event.preventDefault();
    const values = {};
    for (const block of blocks.querySelectorAll(".block-input")) {
      values[block.dataset.blockId] = block.collectState();
    }
    const answer = await post("/sandbox/submit", { values });
    fieldErrors = answer.response_action === "errors" ? answer.errors || {} : {};
    showFieldErrors();
  });
  layer.replaceChildren(box);
  layer.hidden = false;
}

function showFieldErrors() {
  for (const block of document.querySelectorAll("#modal-layer .block-input")) {
    const message = fieldErrors[block.dataset.blockId] || "";
    block.querySelector(".field-error").textContent = message;
    block.classList.toggle("has-error", Boolean(message));
  }
}

function renderClock() {
  const person = (state.people || []).find((p) => p.id === me);
  $("now").textContent = formatTime(state.now, person?.tz);
  $("clock-note").textContent = state.scheduler
    ? "Advancing runs the scheduler's tick at every hour it passes: check-ins, reminders, escalations."
    : "";
}

// A long move takes a while (a tick at every hour passed): the page shows the clock moving, and
// the buttons wait for it, so a second click never queues up behind the first unnoticed.
async function moveClock(body) {
  const buttons = [$("next-monday"), $("advance-hours")];
  for (const button of buttons) button.disabled = true;
  $("clock-busy").hidden = false;
  try {
    await post("/sandbox/clock", body);
  } finally {
    for (const button of buttons) button.disabled = false;
    $("clock-busy").hidden = true;
  }
}

function render() {
  if (!state) return;
  $("nav-channel").textContent = `# ${state.channel.name}`;
  renderPeople();
  renderClock();
  renderPane();
  renderModal();
  for (const button of document.querySelectorAll(".nav")) {
    button.classList.toggle("active", button.dataset.view === view);
  }
}

function show(next) {
  view = next;
  if (view === "home" && me) post("/sandbox/home", {});
  render();
}

document.addEventListener("DOMContentLoaded", () => {
  $("who").addEventListener("change", (event) => {
    me = event.target.value;
    localStorage.setItem("cascade-sandbox-user", me);
    restart();
    if (view === "home") show("home");
  });
  for (const button of document.querySelectorAll(".nav")) {
    button.addEventListener("click", () => show(button.dataset.view));
  }
  $("composer").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("message").value.trim();
    if (!text) return;
    $("message").value = "";
    await post("/sandbox/send", { text });
  });
  $("message").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      $("composer").requestSubmit();
    }
  });
  $("next-monday").addEventListener("click", () => moveClock({ next_monday: true }));
  $("advance-form").addEventListener("submit", (event) => {
    event.preventDefault();
    moveClock({ hours: Number($("hours").value) });
  });
  $("person-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    await post("/sandbox/people", { name: $("person-name").value, tz: $("person-tz").value });
    $("person-name").value = "";
  });
  restart();
});
