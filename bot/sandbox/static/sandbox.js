// The sandbox page: renders the Block Kit the bot sends, and turns clicks into the
// requests Slack would send (the server signs them and posts them to the bot).
"use strict";
const $ = (id) => document.getElementById(id);
const EMOJI = { white_check_mark: "✅", warning: "⚠️", no_entry: "⛔", x: "❌", receipt: "🧾", hourglass: "⌛", calendar: "📅",
  credit_card: "💳", globe_with_meridians: "🌐", wave: "👋", handshake: "🤝", lock: "🔒", bar_chart: "📊",
  chair: "🪑", desktop_computer: "🖥️" };
let state = { user: null, channel: "CBILLING", app: null, version: -1, modalKey: null, people: [], now: null };

function escapeHtml(text) {
  return String(text ?? "").replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));
}
function personName(id) {
  const person = state.people.find((p) => p.id === id);
  return person ? person.name.split(" (")[0] : id;
}
// Slack's date token <!date^unix^format|fallback>, as Slack shows it: in the time zone and
// language of the person reading (the one chosen above), "Today"/"Yesterday"/"Tomorrow" by
// the sandbox's clock in that zone; the fallback only when the person has no time zone.
// `format` and `fallback` come HTML-escaped (mrkdwn escapes the whole text first).
function slackDate(ts, format, fallback) {
  const person = state.people.find((p) => p.id === state.user);
  const when = new Date(Number(ts) * 1000);
  if (!person || !person.tz || Number.isNaN(when.getTime())) return fallback;
  const locale = person.locale || "en-US";
  const shown = (options) => new Intl.DateTimeFormat(locale, { timeZone: person.tz, ...options }).format(when);
  const dayOf = (instant) => new Intl.DateTimeFormat("en-CA", { timeZone: person.tz }).format(instant);
  const pretty = (plain) => {
    const now = state.now ? new Date(state.now) : new Date();
    const days = Math.round((Date.parse(dayOf(when)) - Date.parse(dayOf(now))) / 86400000);
    if (Math.abs(days) > 1) return plain;
    const word = new Intl.RelativeTimeFormat(locale, { numeric: "auto" }).format(days, "day");
    return word.charAt(0).toUpperCase() + word.slice(1);
  };
  const tokens = {
    date_num: dayOf(when),
    date: shown({ dateStyle: "long" }),
    date_short: shown({ dateStyle: "medium" }),
    date_long: shown({ dateStyle: "full" }),
    date_pretty: pretty(shown({ dateStyle: "long" })),
    date_short_pretty: pretty(shown({ dateStyle: "medium" })),
    date_long_pretty: pretty(shown({ dateStyle: "full" })),
    time: shown({ timeStyle: "short" }),
    time_secs: shown({ timeStyle: "medium" }),
  };
  const text = format.replace(/\{(\w+)\}/g, (token, name) => tokens[name] ?? token);
  return `<time datetime="${when.toISOString()}" title="${fallback}">${text}</time>`;
}
function mrkdwn(text) {
  let html = escapeHtml(text);
  html = html.replace(/```([\s\S]*?)```/g, (_, code) => `<pre>${code}</pre>`);
  html = html.replace(/&lt;@([UW][A-Z0-9]+)&gt;/g, (_, id) => `<b>@${escapeHtml(personName(id))}</b>`);
  html = html.replace(/&lt;!date\^(\d+)\^([^|^]*)(?:\^[^|]*)?\|([^&]*)&gt;/g, (_, ts, format, fallback) => slackDate(ts, format, fallback));
  html = html.replace(/&lt;(https?:[^|&]+)\|([^&]+)&gt;/g, '<a href="$1" target="_blank">$2</a>');
  html = html.replace(/`([^`]+)`/g, "<code>$1</code>");
  html = html.replace(/(^|[\s(])\*([^*\n]+)\*/g, "$1<b>$2</b>");
  html = html.replace(/(^|[\s(])_([^_\n]+)_/g, "$1<i>$2</i>");
  html = html.replace(/:([a-z0-9_+-]+):/g, (m, name) => EMOJI[name] || m);
  return html.replace(/\n/g, "<br>");
}
function textOf(obj) {
  if (!obj) return "";
  return obj.type === "mrkdwn" ? mrkdwn(obj.text) : escapeHtml(obj.text);
}

async function post(path, body) {
  const response = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  const answer = await response.json();
  if (answer && answer.ok === false && answer.error) notice(answer.error);
  await refresh(true);
  return answer;
}
function notice(text) { $("notice").textContent = text; setTimeout(() => ($("notice").textContent = ""), 4000); }

function button(element, context) {
  if (element.url) {
    // A link button: Slack opens the page in the browser, and still sends the click.
    const a = document.createElement("a");
    a.href = element.url;
    a.target = "_blank";
    a.rel = "noopener";
    a.className = `link-button ${element.style || ""}`;
    a.textContent = element.text.text;
    a.dataset.actionId = element.action_id;
    a.addEventListener("click", () => post("/ui/action", {
      user: state.user, channel: context.channel, message_ts: context.ts, view_id: context.viewId,
      action_id: element.action_id, block_id: context.blockId, value: element.value ?? null,
    }));
    return a;
  }
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = element.text.text;
  if (element.style) b.className = element.style;
  b.dataset.actionId = element.action_id;
  b.addEventListener("click", () => post("/ui/action", {
    user: state.user, channel: context.channel, message_ts: context.ts, view_id: context.viewId,
    action_id: element.action_id, block_id: context.blockId, value: element.value ?? null,
  }));
  return b;
}

// What an input shows: what was last submitted in it (the view's state, which Slack keeps
// through field errors and while a view is pushed over it), else its initial value.
function shownValues(element, held) {
  if (held) {
    if (element.type === "checkboxes") return (held.selected_options || []).map((o) => o.value);
    if (element.type === "static_select" || element.type === "radio_buttons") return held.selected_option ? [held.selected_option.value] : [];
    return [held.value || ""];
  }
  if (element.type === "checkboxes") return (element.initial_options || []).map((o) => o.value);
  if (element.initial_option) return [element.initial_option.value];
  return element.type === "static_select" || element.type === "radio_buttons" ? [] : [element.initial_value || ""];
}

function overflow(element, context) {
  // Slack's "⋯" menu: choosing an option sends it as the action's selected_option.
  const menu = document.createElement("select");
  menu.className = "overflow";
  menu.dataset.actionId = element.action_id;
  menu.innerHTML = '<option value="">⋯</option>' + (element.options || [])
    .map((o) => `<option value="${escapeHtml(o.value)}">${escapeHtml(o.text.text)}</option>`).join("");
  menu.addEventListener("change", () => {
    const chosen = menu.value;
    menu.value = "";
    if (!chosen) return;
    post("/ui/action", {
      user: state.user, channel: context.channel, message_ts: context.ts, view_id: context.viewId,
      action_id: element.action_id, block_id: context.blockId, type: "overflow", selected: chosen,
    });
  });
  return menu;
}

function inputElement(block, context) {
  const element = block.element || {};
  const id = `in-${block.block_id}`;
  const held = ((context.state || {})[block.block_id] || {})[element.action_id];
  const shown = shownValues(element, held);
  let control;
  if (element.type === "static_select") {
    control = document.createElement("select");
    control.innerHTML = '<option value="">Choose…</option>' + (element.options || [])
      .map((o) => `<option value="${escapeHtml(o.value)}">${escapeHtml(o.text.text)}</option>`).join("");
    control.value = shown[0] || "";
  } else if (element.type === "radio_buttons" || element.type === "checkboxes") {
    control = document.createElement("div");
    const kind = element.type === "radio_buttons" ? "radio" : "checkbox";
    for (const option of element.options || []) {
      const label = document.createElement("label");
      const box = document.createElement("input");
      box.type = kind; box.name = id; box.value = option.value;
      box.checked = shown.includes(option.value);
      label.append(box, " ", option.text.text);
      control.append(label, document.createElement("br"));
    }
  } else {
    control = document.createElement("input");
    control.type = "text";
    control.value = shown[0] || "";
    if (element.placeholder) control.placeholder = element.placeholder.text;
    if (element.max_length) control.maxLength = element.max_length;
  }
  control.id = id;
  control.dataset.blockId = block.block_id;
  control.dataset.actionId = element.action_id;
  control.dataset.kind = element.type;
  const label = document.createElement("label");
  label.className = "input";
  label.htmlFor = id;
  label.textContent = block.label.text + (block.optional ? " (optional)" : "");
  const wrap = document.createElement("div");
  wrap.className = "block input";
  wrap.append(label, control);
  if (block.hint) { const hint = document.createElement("div"); hint.className = "hint"; hint.textContent = block.hint.text; wrap.append(hint); }
  const error = (context.errors || {})[block.block_id];
  if (error) { const e = document.createElement("div"); e.className = "error"; e.textContent = error; wrap.append(e); }
  return wrap;
}

function renderBlocks(blocks, context) {
  const out = document.createElement("div");
  for (const block of blocks || []) {
    const el = document.createElement("div");
    el.className = `block ${block.type}`;
    const ctx = { ...context, blockId: block.block_id };
    if (block.type === "header") el.textContent = block.text.text;
    else if (block.type === "section") {
      if (block.text) el.innerHTML = textOf(block.text);
      if (block.fields) {
        const grid = document.createElement("div");
        grid.className = "fields";
        grid.innerHTML = block.fields.map((f) => `<div>${textOf(f)}</div>`).join("");
        el.append(grid);
      }
      if (block.accessory && block.accessory.type === "button") el.append(" ", button(block.accessory, ctx));
      if (block.accessory && block.accessory.type === "overflow") el.append(" ", overflow(block.accessory, ctx));
    } else if (block.type === "context") el.innerHTML = (block.elements || []).map(textOf).join(" · ");
    else if (block.type === "actions") {
      el.className += " actions";
      for (const element of block.elements || []) if (element.type === "button") el.append(button(element, ctx));
    } else if (block.type === "input") { out.append(inputElement(block, context)); continue; }
    else if (block.type !== "divider") el.textContent = `[${block.type}]`;
    out.append(el);
  }
  return out;
}

function formValues(root) {
  const values = {};
  for (const control of root.querySelectorAll("[data-block-id]")) {
    const kind = control.dataset.kind;
    let value;
    if (kind === "static_select" || kind === "radio_buttons") {
      const chosen = kind === "static_select" ? control.value : (control.querySelector("input:checked") || {}).value;
      value = { type: kind, selected_option: chosen ? { value: chosen, text: { type: "plain_text", text: chosen } } : null };
    } else if (kind === "checkboxes") {
      value = { type: kind, selected_options: [...control.querySelectorAll("input:checked")].map((b) => ({ value: b.value, text: { type: "plain_text", text: b.value } })) };
    } else value = { type: kind || "plain_text_input", value: control.value || null };
    values[control.dataset.blockId] = { [control.dataset.actionId || "value"]: value };
  }
  return values;
}

function renderModal(modal) {
  const overlay = $("modal");
  const key = modal ? JSON.stringify([modal.id, modal.view, modal.errors, modal.state]) : null;
  if (key === state.modalKey) return;
  state.modalKey = key;
  overlay.hidden = !modal;
  overlay.innerHTML = "";
  if (!modal) return;
  const box = document.createElement("form");
  box.className = "modal";
  box.setAttribute("role", "dialog");
  const title = document.createElement("h2");
  title.textContent = modal.view.title ? modal.view.title.text : "";
  box.append(title, renderBlocks(modal.view.blocks, { viewId: modal.id, errors: modal.errors, state: modal.state }));
  const footer = document.createElement("footer");
  const close = document.createElement("button");
  close.type = "button";
  close.textContent = modal.view.close ? modal.view.close.text : "Close";
  close.addEventListener("click", () => post("/ui/close", { user: state.user }));
  footer.append(close);
  if (modal.view.submit) {
    const submit = document.createElement("button");
    submit.className = "primary";
    submit.textContent = modal.view.submit.text;
    footer.append(submit);
  }
  box.addEventListener("submit", (event) => { event.preventDefault(); post("/ui/submit", { user: state.user, view_id: modal.id, values: formValues(box) }); });
  box.append(footer);
  overlay.append(box);
}

function renderMessages(data) {
  const list = $("messages");
  list.innerHTML = "";
  if (state.app === "home") {
    $("title").textContent = "licensebot · Home";
    $("composer").hidden = true;
    list.append(data.home ? renderBlocks(data.home.blocks, { viewId: "home" }) : document.createTextNode("Opening…"));
    return;
  }
  const channel = state.app === "messages" ? `D${state.user}` : state.channel;
  $("title").textContent = state.app === "messages" ? "licensebot · Messages" : `#${(data.channels.find((c) => c.id === channel) || {}).name || channel}`;
  $("composer").hidden = false;
  for (const message of data.messages) {
    const item = document.createElement("article");
    item.className = "message" + (message.ephemeral ? " ephemeral" : "");
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = message.user === "bot" ? "licensebot" : personName(message.user);
    item.append(who);
    if (message.blocks && message.blocks.length) item.append(renderBlocks(message.blocks, { channel, ts: message.ts }));
    else item.insertAdjacentHTML("beforeend", mrkdwn(message.text));
    for (const file of message.files || []) {
      item.insertAdjacentHTML("beforeend", `<div class="file"><a href="${escapeHtml(file.url)}" target="_blank">📄 ${escapeHtml(file.title || file.name)}</a></div>`);
    }
    list.append(item);
  }
  list.scrollTop = list.scrollHeight;
}

async function refresh(force) {
  const channel = state.app === "messages" ? `D${state.user}` : state.channel;
  const response = await fetch(`/ui/state?user=${encodeURIComponent(state.user)}&channel=${encodeURIComponent(channel)}`);
  const data = await response.json();
  $("clock").textContent = data.clock.pacific;
  state.now = data.clock.utc;
  if (!force && data.version === state.version) return;
  state.version = data.version;
  state.people = data.people;
  renderMessages(data);
  renderModal(data.modal);
}

function renderNav(data) {
  const who = $("who");
  who.innerHTML = data.people.map((p) => `<option value="${p.id}">${escapeHtml(p.name)}</option>`).join("");
  who.value = state.user;
  $("channels").innerHTML = data.channels.map((c) => `<li><a href="#" data-channel="${c.id}"># ${escapeHtml(c.name)}</a></li>`).join("");
  highlight();
}
function highlight() {
  for (const a of document.querySelectorAll("nav a")) {
    a.classList.toggle("active", state.app ? a.dataset.app === state.app : a.dataset.channel === state.channel);
  }
}

async function start() {
  const first = await (await fetch("/ui/state?user=&channel=")).json();
  state.people = first.people;
  state.user = first.people[0].id;
  renderNav(first);
  $("who").addEventListener("change", (e) => { state.user = e.target.value; state.modalKey = null; if (state.app === "home") post("/ui/home", { user: state.user }); refresh(true); });
  document.querySelector("nav").addEventListener("click", (e) => {
    const a = e.target.closest("a");
    if (!a) return;
    e.preventDefault();
    state.app = a.dataset.app || null;
    if (a.dataset.channel) state.channel = a.dataset.channel;
    highlight();
    if (state.app === "home") post("/ui/home", { user: state.user }); else refresh(true);
  });
  $("composer").addEventListener("submit", (e) => {
    e.preventDefault();
    const text = $("text").value.trim();
    if (!text) return;
    $("text").value = "";
    const channel = state.app === "messages" ? `D${state.user}` : state.channel;
    post("/ui/command", { user: state.user, channel, text });
  });
  const clock = (to, extra = {}) => post("/ui/clock", { to, ...extra }).then(() => { if (state.app === "home") post("/ui/home", { user: state.user }); });
  $("plus-hours").addEventListener("click", () => clock("hours", { hours: 4 }));
  $("plus-day").addEventListener("click", () => clock("day"));
  $("to-first").addEventListener("click", () => clock("first"));
  $("go-date").addEventListener("click", () => $("to-date").value && clock($("to-date").value));
  await refresh(true);
  setInterval(() => refresh(false), 700);
}
start();
