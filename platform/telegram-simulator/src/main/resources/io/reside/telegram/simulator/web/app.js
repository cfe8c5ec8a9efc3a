// The simulator's chat page: plain JavaScript against the control API (/control/...).
"use strict";
const state = { users: [], current: null, version: -1, messages: [] };
const $ = (id) => document.getElementById(id);

async function api(method, path, body) {
  const r = await fetch(path, { method, headers: body ? { "Content-Type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined });
  const data = r.status === 204 ? null : await r.json();
  if (!r.ok) throw new Error(data && data.error ? data.error : "HTTP " + r.status);
  return data;
}

function toast(text, alert) {
  const t = $("toast");
  t.textContent = text;
  t.className = alert ? "alert" : "";
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.hidden = true; }, alert ? 4000 : 2500);
}

// Telegram's HTML subset, rendered by building DOM nodes (never innerHTML of bot text).
const TAGS = { b: "b", strong: "b", i: "i", em: "i", u: "u", ins: "u", s: "s", strike: "s", del: "s",
  code: "code", pre: "pre", blockquote: "blockquote", "tg-spoiler": "span", span: "span", a: "a" };
function renderHtml(text, into) {
  const doc = new DOMParser().parseFromString("<body>" + text + "</body>", "text/html");
  const copy = (from, to) => {
    for (const n of from.childNodes) {
      if (n.nodeType === Node.TEXT_NODE) { to.appendChild(document.createTextNode(n.textContent)); continue; }
      if (n.nodeType !== Node.ELEMENT_NODE) continue;
      const tag = TAGS[n.tagName.toLowerCase()];
      if (!tag) { copy(n, to); continue; }
      const el = document.createElement(tag);
      if (tag === "a") {
        const href = n.getAttribute("href") || "";
        if (/^(https?:|tg:)/.test(href)) { el.href = href; el.target = "_blank"; el.rel = "noopener"; }
      }
      copy(n, el);
      to.appendChild(el);
    }
  };
  copy(doc.body, into);
}

function renderUsers() {
  const ul = $("users");
  ul.replaceChildren();
  for (const u of state.users) {
    const li = document.createElement("li");
    li.textContent = u.first_name;
    const small = document.createElement("small");
    small.textContent = (u.username ? "@" + u.username + " · " : "") + (u.language_code || "en") + " · id " + u.id;
    li.appendChild(small);
    if (state.current && state.current.id === u.id) li.className = "current";
    li.onclick = () => pick(u);
    ul.appendChild(li);
  }
}

function renderMessages() {
  const box = $("messages");
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  box.replaceChildren();
  for (const entry of state.messages) {
    if (entry.deleted) continue;
    const m = entry.message;
    const div = document.createElement("div");
    div.className = "msg " + (entry.from_bot ? "bot" : "mine");
    div.dataset.messageId = entry.message_id;
    if (m.photo && m.photo.length) {
      const img = document.createElement("img");
      img.src = "/control/files/" + encodeURIComponent(m.photo[m.photo.length - 1].file_id);
      img.alt = "photo";
      // a picture grows the chat when it arrives: keep following the newest message
      img.onload = () => { if (atBottom) box.scrollTop = box.scrollHeight; };
      div.appendChild(img);
    }
    const body = document.createElement("div");
    const text = m.text != null ? m.text : (m.caption || "");
    if (entry.from_bot) renderHtml(text, body); else body.textContent = text;
    div.appendChild(body);
    const kb = m.reply_markup && m.reply_markup.inline_keyboard;
    if (kb && kb.length) {
      const grid = document.createElement("div");
      grid.className = "keyboard";
      for (const row of kb) {
        const r = document.createElement("div");
        r.className = "row";
        for (const b of row) {
          const btn = document.createElement("button");
          btn.type = "button";
          btn.textContent = b.text;
          if (b.url) btn.onclick = () => window.open(b.url, "_blank", "noopener");
          else btn.onclick = () => press(entry.message_id, b.callback_data);
          r.appendChild(btn);
        }
        grid.appendChild(r);
      }
      div.appendChild(grid);
    }
    const meta = document.createElement("div");
    meta.className = "meta";
    meta.textContent = new Date(m.date * 1000).toLocaleTimeString() + (m.edit_date ? " · edited" : "");
    div.appendChild(meta);
    box.appendChild(div);
  }
  if (atBottom) box.scrollTop = box.scrollHeight;
}

async function loadUsers() {
  state.users = await api("GET", "/control/users");
  renderUsers();
}

async function loadChat() {
  if (!state.current) return;
  const data = await api("GET", "/control/chats/" + state.current.id + "/messages");
  state.messages = data.messages;
  renderMessages();
}

async function loadMenu() {
  const menu = $("menu");
  const commands = await api("GET", "/control/commands?language_code=" +
    encodeURIComponent(state.current.language_code || ""));
  // built whole, then swapped in: two loads at once (picking a person while a change arrives) must not both append
  const items = [];
  for (const c of commands) {
    const d = document.createElement("div");
    const b = document.createElement("b");
    b.textContent = "/" + c.command;
    d.appendChild(b);
    d.appendChild(document.createTextNode(c.description));
    d.onclick = () => { menu.hidden = true; send("/" + c.command); };
    items.push(d);
  }
  menu.replaceChildren(...items);
  $("menu-button").hidden = commands.length === 0;
}

async function pick(user) {
  state.current = user;
  $("chat-title").textContent = user.first_name + (user.username ? " (@" + user.username + ")" : "") +
    " ↔ the bot";
  $("composer").hidden = false;
  renderUsers();
  await loadChat();
  await loadMenu();
  $("text").focus();
}

async function send(text) {
  if (!text || !state.current) return;
  try {
    await api("POST", "/control/chats/" + state.current.id + "/messages", { from: state.current.id, text });
  } catch (e) { toast(e.message, true); }
}

async function press(messageId, data) {
  try {
    const r = await api("POST", "/control/chats/" + state.current.id + "/press",
      { from: state.current.id, message_id: messageId, data });
    for (let i = 0; i < 20; i++) {
      await new Promise((ok) => setTimeout(ok, 150));
      try {
        const answer = await api("GET", "/control/callbacks/" + r.callback_query_id);
        if (answer.text) toast(answer.text, answer.showAlert);
        return;
      } catch (e) { /* not answered yet */ }
    }
  } catch (e) { toast(e.message, true); }
}

async function watch() {
  for (;;) {
    try {
      const r = await api("GET", "/control/wait?since=" + state.version + "&timeout=20000");
      if (r.version !== state.version) {
        state.version = r.version;
        await loadUsers();
        await loadChat();
        if (state.current) await loadMenu();
      }
    } catch (e) {
      await new Promise((ok) => setTimeout(ok, 1000));
    }
  }
}

$("composer").onsubmit = (e) => {
  e.preventDefault();
  const text = $("text").value.trim();
  $("text").value = "";
  send(text);
};
$("menu-button").onclick = () => { $("menu").hidden = !$("menu").hidden; };
$("new-user").onsubmit = async (e) => {
  e.preventDefault();
  try {
    const u = await api("POST", "/control/users", { first_name: $("first-name").value,
      username: $("username").value, language_code: $("language").value });
    $("first-name").value = ""; $("username").value = "";
    await loadUsers();
    await pick(u);
  } catch (err) { toast(err.message, true); }
};
const initial = new URLSearchParams(location.search).get("user");
loadUsers().then(() => {
  const u = state.users.find((x) => String(x.id) === initial);
  if (u) pick(u);
  watch();
});
