// The playground page: one person in the local workspace. It reads what that
// person sees from /playground/api/, does what they do through the same API
// (the workspace delivers it to opsbot as Slack would), and redraws what a
// change on /playground/live concerns.
import { el, plainText, renderBlocks } from "./blocks.js";
import { mrkdwnToHtml, plainToHtml } from "./mrkdwn.js";

const API = "/playground/api/";
const $ = (id) => document.getElementById(id);

const state = {
  setup: null,
  me: null,
  channel: null,
  place: "channel", // "channel", or the app's "home" or "messages" tab
  home: null, // the Home tab view opsbot last published for this person
  thread: null, // the open thread's parent ts
  views: [],
  dirty: {}, // viewId -> {blockId: value} typed but not yet sent
  errors: {}, // viewId -> {blockId: message} from response_action: errors
  viewFailure: {}, // viewId -> what Slack showed instead of the app's answer
  notes: {}, // channel -> client-side notes (Slack's own failure messages)
  names: { users: {}, channels: {} },
};

// --- talking to the playground ---------------------------------------------------------

async function get(path) {
  const response = await fetch(API + path);
  return response.json();
}

async function post(path, body) {
  const response = await fetch(API + path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ user: state.me, ...body }),
  });
  const answer = await response.json();
  if (!response.ok) note(state.channel, `Could not do that: ${answer.error}`);
  return answer;
}

// Slack's own words when it could not reach the app or use its answer.
function failed(answer, what) {
  if (answer?.failure) note(state.channel, `${what} failed with the error "${answer.failure}"`);
}

let notes = 0;

function note(channel, text) {
  // After the workspace's messages of the same second: its ts counter is far lower.
  (state.notes[channel] ??= []).push({
    ts: `${Math.floor(Date.now() / 1000)}.${String(900000 + (++notes % 100000))}`,
    text,
    is_ephemeral: true,
    author: { name: "Slackbot", app: false, slackbot: true },
    local: true,
  });
  refresh.channel();
}

// --- coalesced refreshes ---------------------------------------------------------------

function coalesced(work) {
  let running = null;
  let again = false;
  const run = async () => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await work();
        } catch (error) {
          console.error(error);
        }
      } while (again);
    })();
    await running;
    running = null;
  };
  return run;
}

const refresh = {
  channel: coalesced(async () => drawChannel(await get(`channels/${state.channel}?user=${state.me}`))),
  thread: coalesced(async () => {
    if (!state.thread) return;
    drawThread(await get(`channels/${state.channel}/threads/${state.thread}?user=${state.me}`));
  }),
  views: coalesced(async () => {
    state.views = (await get(`views?user=${state.me}`)).views;
    drawModal();
  }),
  home: coalesced(async () => {
    if (state.place !== "home") return;
    state.home = (await get(`home?user=${state.me}`)).view;
    drawHome();
  }),
};

// --- messages --------------------------------------------------------------------------

function timeOf(ts) {
  return new Date(Number(ts.split(".")[0]) * 1000).toLocaleTimeString([], { hour: "numeric", minute: "2-digit" });
}

function messageContext(message) {
  return {
    names: state.names,
    act: async (element, blockId, choice) => {
      const answer = await post("action", {
        channel: message.channel,
        ts: message.ts,
        action_id: element.action_id,
        block_id: blockId ?? null,
        choice,
      });
      failed(answer, "That action");
    },
    suggest: async (element, blockId, typed) =>
      (await post("suggest", { channel: message.channel, ts: message.ts, action_id: element.action_id, block_id: blockId ?? null, typed })).options ?? [],
    confirm: askToConfirm,
  };
}

function avatar(author) {
  if (author.slackbot) return el("div", { class: "avatar slackbot", "aria-hidden": "true", text: "✱" });
  if (author.app) return el("div", { class: "avatar app", "aria-hidden": "true", text: author.name.slice(0, 1).toUpperCase() });
  return el("div", { class: "avatar person", "aria-hidden": "true", text: author.name.slice(0, 1).toUpperCase() });
}

function messageNode(message, { inThread = false } = {}) {
  const author = message.author ?? { name: "someone", app: false };
  const header = el("div", { class: "message-header" }, [
    el("span", { class: "author", text: author.name }),
    author.app ? el("span", { class: "app-badge", text: "APP" }) : null,
    el("time", { class: "time", text: timeOf(message.ts) }),
  ]);
  const body = el("div", { class: "message-body" }, [header]);
  if (message.subtype === "thread_broadcast" && !inThread) {
    body.append(
      el("div", { class: "broadcast-label" }, [
        el("span", { text: "replied to a thread: " }),
        el("button", { type: "button", class: "link-button", text: snippet(message.broadcast_of), onclick: () => openThread(message.thread_ts) }),
      ]),
    );
  }
  if (message.subtype === "thread_broadcast" && inThread) {
    body.append(el("div", { class: "broadcast-label", text: `Also sent to #${state.names.channels[message.channel] ?? message.channel}` }));
  }
  body.append(content(message));
  if (message.edited) body.append(el("span", { class: "edited", text: "(edited)" }));
  if (message.is_ephemeral) {
    body.append(el("div", { class: "ephemeral-note" }, [el("span", { "aria-hidden": "true", text: "👁 " }), el("span", { text: "Only visible to you" })]));
  }
  if (message.reply_count && !inThread) body.append(replySummary(message));
  return el(
    "article",
    { class: `message${message.is_ephemeral ? " ephemeral" : ""}`, "data-ts": message.ts, "aria-label": `${author.name} ${timeOf(message.ts)}` },
    [avatar(author), body],
  );
}

function content(message) {
  if (message.local) return el("div", { class: "message-text", html: plainToHtml(message.text) });
  const shown = el("div", { class: "message-content" });
  if (message.blocks?.length) shown.append(renderBlocks(message.blocks, messageContext(message)));
  else if (message.text) shown.append(el("div", { class: "message-text", html: mrkdwnToHtml(message.text, state.names) }));
  for (const attachment of message.attachments ?? []) {
    const bar = el("div", { class: "attachment", style: `border-left-color: ${attachment.color ?? "#ddd"}` });
    if (attachment.blocks?.length) bar.append(renderBlocks(attachment.blocks, messageContext(message)));
    else bar.append(el("div", { html: mrkdwnToHtml(attachment.text ?? attachment.fallback ?? "", state.names) }));
    shown.append(bar);
  }
  return shown;
}

function snippet(text) {
  const plain = (text ?? "").replace(/\s+/g, " ");
  return plain.length > 60 ? `${plain.slice(0, 60)}…` : plain;
}

function replySummary(message) {
  const count = message.reply_count;
  const people = (message.reply_users ?? []).map((id) => state.names.users[id] ?? "opsbot");
  return el("div", { class: "reply-summary" }, [
    el("span", { class: "reply-avatars", "aria-hidden": "true", text: people.length ? "O" : "" }),
    el("button", { type: "button", class: "link-button replies", text: `${count} ${count === 1 ? "reply" : "replies"}`, onclick: () => openThread(message.ts) }),
    el("span", { class: "reply-hint", text: "View thread" }),
  ]);
}

// Keep a message's node while its JSON is the same: an open select or a
// focused button in it survives a redraw of the channel.
const drawn = new Map();

function nodesFor(messages, scope, options) {
  return messages.map((message) => {
    const key = `${scope}:${message.ts}`;
    const json = JSON.stringify(message);
    const known = drawn.get(key);
    if (known?.json === json) return known.node;
    const node = messageNode(message, options);
    drawn.set(key, { json, node });
    return node;
  });
}

function reconcile(container, nodes) {
  nodes.forEach((node, index) => {
    if (container.children[index] !== node) container.insertBefore(node, container.children[index] ?? null);
  });
  while (container.children.length > nodes.length) container.lastElementChild.remove();
}

function drawChannel(shown) {
  if (shown.channel !== state.channel) return;
  const list = $("messages");
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  const messages = [...shown.messages, ...(state.notes[state.channel] ?? [])].sort(byTs);
  reconcile(list, nodesFor(messages, `${state.channel}:${state.me}`));
  if (!messages.length) list.append(el("p", { class: "empty", text: "No messages yet. Type /ops help below." }));
  if (atBottom || list.dataset.fresh) list.scrollTop = list.scrollHeight;
  delete list.dataset.fresh;
}

function byTs(a, b) {
  const [as, ac] = a.ts.split(".").map(Number);
  const [bs, bc] = b.ts.split(".").map(Number);
  return as - bs || ac - bc;
}

// --- threads ---------------------------------------------------------------------------

function openThread(ts) {
  state.thread = ts;
  $("thread").hidden = false;
  $("thread-channel").textContent = `#${state.names.channels[state.channel] ?? ""}`;
  refresh.thread();
}

function closeThread() {
  state.thread = null;
  $("thread").hidden = true;
  $("thread-body").replaceChildren();
}

function drawThread(shown) {
  if (shown.ts !== state.thread) return;
  const body = $("thread-body");
  if (!shown.parent) {
    body.replaceChildren(el("p", { class: "empty", text: "This message was deleted." }));
    return;
  }
  const count = shown.replies.length;
  const nodes = [
    ...nodesFor([shown.parent], `thread-parent:${state.me}`, { inThread: true }),
    el("div", { class: "thread-divider", text: `${count} ${count === 1 ? "reply" : "replies"}` }),
    ...nodesFor(shown.replies, `thread:${state.me}`, { inThread: true }),
  ];
  reconcile(body, nodes);
  body.scrollTop = body.scrollHeight;
}

// --- modals ----------------------------------------------------------------------------

function viewContext(view) {
  const inputs = new Map();
  const dirty = (state.dirty[view.id] ??= {});
  return {
    names: state.names,
    people: state.setup.users,
    channels: state.setup.channels,
    inputs,
    errors: state.errors[view.id] ?? {},
    initial: (blockId, element) => (blockId in dirty ? dirty[blockId] : stored(view, blockId, element)),
    changed: (blockId, value) => {
      dirty[blockId] = value;
    },
    act: async (element, blockId, choice) => {
      const answer = await post("action", { view_id: view.id, action_id: element.action_id, block_id: blockId ?? null, choice, values: valuesOf(inputs) });
      showViewFailure(view, answer);
    },
    suggest: async (element, blockId, typed) =>
      (await post("suggest", { view_id: view.id, action_id: element.action_id, block_id: blockId ?? null, typed })).options ?? [],
    confirm: askToConfirm,
  };
}

// What the workspace holds for an input (its initial value, or what was sent).
function stored(view, blockId, element) {
  const value = view.state?.values?.[blockId]?.[element.action_id];
  if (!value) return null;
  const keys = ["value", "selected_date", "selected_option", "selected_options", "selected_time", "selected_users", "selected_conversations", "selected_channels"];
  for (const key of keys) {
    if (key in value && value[key] !== undefined) return value[key];
  }
  return null;
}

function valuesOf(inputs) {
  const values = {};
  for (const [blockId, read] of inputs) values[blockId] = read();
  return values;
}

function showViewFailure(view, answer) {
  if (!answer?.failure) return;
  state.viewFailure[view.id] = "We had some trouble connecting. Try again?";
  console.warn("view failure", answer.failure);
  drawModal();
}

let drawnView = null;

function drawModal() {
  const root = $("modal-root");
  const view = state.views[state.views.length - 1];
  if (!view) {
    root.replaceChildren();
    drawnView = null;
    return;
  }
  const key = JSON.stringify([view, state.errors[view.id], state.viewFailure[view.id], state.views.length]);
  if (drawnView === key) return;
  drawnView = key;
  const ctx = viewContext(view);
  const titleId = `modal-title-${view.id}`;
  const failure = state.viewFailure[view.id];
  const dialog = el("div", { class: "modal", role: "dialog", "aria-modal": "true", "aria-labelledby": titleId }, [
    el("header", { class: "modal-header" }, [
      state.views.length > 1 ? el("button", { type: "button", class: "icon-button back", "aria-label": "Back", text: "←", onclick: () => closeTop(view) }) : null,
      el("h2", { id: titleId, html: plainToHtml(plainText(view.title)) }),
      el("button", { type: "button", class: "icon-button", "aria-label": "Close", text: "×", onclick: closeAll }),
    ]),
    failure ? el("div", { class: "modal-failure", role: "alert", text: failure }) : null,
    el("div", { class: "modal-body" }, [renderBlocks(view.blocks, ctx)]),
    el("footer", { class: "modal-footer" }, [
      el("button", { type: "button", class: "sk-button", html: plainToHtml(plainText(view.close) || "Cancel"), onclick: () => closeTop(view) }),
      view.submit
        ? el("button", { type: "button", class: "sk-button primary", html: plainToHtml(plainText(view.submit)), onclick: (event) => submit(view, ctx, event.currentTarget) })
        : null,
    ]),
  ]);
  const focused = document.activeElement?.closest?.(".modal") ? document.activeElement : null;
  root.replaceChildren(el("div", { class: "modal-backdrop" }, [dialog]));
  if (!focused) dialog.querySelector(".sk-text, .sk-textarea, button.primary")?.focus();
}

async function submit(view, ctx, button) {
  button.disabled = true;
  try {
    const answer = await post("submit", { view_id: view.id, values: valuesOf(ctx.inputs) });
    state.errors[view.id] = answer.errors ?? {};
    delete state.viewFailure[view.id];
    if (answer.failure?.startsWith("required")) {
      state.errors[view.id] = Object.fromEntries(answer.failure.replace("required: ", "").split(", ").map((id) => [id, "Please complete this required field."]));
    } else if (answer.failure) {
      state.viewFailure[view.id] = "We had some trouble connecting. Try again?";
    }
    drawnView = null;
    await refresh.views();
  } finally {
    button.disabled = false;
  }
}

async function closeTop(view) {
  await post("close", { view_id: view.id });
  forget(view.id);
  await refresh.views();
}

async function closeAll() {
  for (const view of [...state.views].reverse()) {
    await post("close", { view_id: view.id });
    forget(view.id);
  }
  await refresh.views();
}

function forget(viewId) {
  delete state.dirty[viewId];
  delete state.errors[viewId];
  delete state.viewFailure[viewId];
}

// --- confirm dialogs -------------------------------------------------------------------

function askToConfirm(confirm) {
  return new Promise((resolve) => {
    const root = $("confirm-root");
    const titleId = "confirm-title";
    const textId = "confirm-text";
    const done = (answer) => {
      root.replaceChildren();
      resolve(answer);
    };
    const danger = confirm.style === "danger" ? " danger" : " primary";
    const dialog = el("div", { class: "confirm", role: "alertdialog", "aria-modal": "true", "aria-labelledby": titleId, "aria-describedby": textId }, [
      el("h2", { id: titleId, html: plainToHtml(plainText(confirm.title) || "Are you sure?") }),
      el("div", { id: textId, class: "confirm-text", html: confirm.text?.type === "mrkdwn" ? mrkdwnToHtml(confirm.text.text, state.names) : plainToHtml(plainText(confirm.text)) }),
      el("div", { class: "confirm-buttons" }, [
        el("button", { type: "button", class: "sk-button", html: plainToHtml(plainText(confirm.deny) || "Cancel"), onclick: () => done(false) }),
        el("button", { type: "button", class: `sk-button${danger}`, html: plainToHtml(plainText(confirm.confirm) || "Yes"), onclick: () => done(true) }),
      ]),
    ]);
    dialog.addEventListener("keydown", (event) => event.key === "Escape" && done(false));
    root.replaceChildren(el("div", { class: "modal-backdrop confirm-backdrop" }, [dialog]));
    dialog.querySelector("button")?.focus();
  });
}

// --- the composer and its completion ---------------------------------------------------

const completion = { items: [], active: -1 };

function completionsFor(text) {
  const command = state.setup.command;
  if (/^\/\S*$/.test(text) && command.startsWith(text)) {
    return [{ insert: `${command} `, label: command, detail: "opsbot · list, cancel, relaunch and watch operations" }];
  }
  const typed = /^\/ops\s+(\S*)$/.exec(text);
  if (!typed) return [];
  return state.setup.subcommands
    .filter((entry) => entry.name.startsWith(typed[1].toLowerCase()) && entry.name !== typed[1])
    .map((entry) => ({ insert: `${command} ${entry.name} `, label: `${command} ${entry.name}`, detail: entry.help[0]?.does ?? entry.usage, usage: entry.usage }));
}

function drawCompletion() {
  const list = $("completion");
  const items = completionsFor($("composer").value);
  completion.items = items;
  completion.active = Math.min(completion.active, items.length - 1);
  list.replaceChildren(
    ...items.map((item, index) =>
      el("li", {
        id: `completion-${index}`,
        role: "option",
        class: `completion-item${index === completion.active ? " active" : ""}`,
        "aria-selected": String(index === completion.active),
        onmousedown: (event) => {
          event.preventDefault();
          complete(item);
        },
      }, [el("span", { class: "completion-label", text: item.label }), el("span", { class: "completion-detail", text: item.detail })]),
    ),
  );
  list.hidden = !items.length;
  $("composer").setAttribute("aria-expanded", String(!list.hidden));
}

function complete(item) {
  const composer = $("composer");
  composer.value = item.insert;
  completion.active = -1;
  drawCompletion();
  composer.focus();
}

function onComposerKey(event) {
  const open = completion.items.length > 0;
  if (open && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
    const step = event.key === "ArrowDown" ? 1 : -1;
    completion.active = (completion.active + step + completion.items.length) % completion.items.length;
    drawCompletion();
  } else if (open && event.key === "Tab") {
    complete(completion.items[Math.max(completion.active, 0)]);
  } else if (open && event.key === "Enter" && completion.active >= 0) {
    complete(completion.items[completion.active]);
  } else if (open && event.key === "Escape") {
    completion.items = [];
    $("completion").hidden = true;
  } else if (event.key === "Enter" && !event.shiftKey) {
    send();
  } else return;
  event.preventDefault();
}

async function send() {
  const composer = $("composer");
  const text = composer.value.trim();
  if (!text) return;
  composer.value = "";
  drawCompletion();
  if (!text.startsWith("/")) {
    note(state.channel, "The playground sends slash commands only: try /ops help");
    return;
  }
  const [command, ...rest] = text.split(/\s+/);
  if (command !== state.setup.command) {
    note(state.channel, `${command} is not a valid command. In Slack, all messages that start with the "/" character are interpreted as commands.`);
    return;
  }
  const answer = await post("command", { channel: state.channel, text: text.slice(command.length).trim() });
  failed(answer, command);
  void rest;
}

// --- the simulator's switch ------------------------------------------------------------

async function move(event) {
  event.preventDefault();
  const id = $("move-id").value.trim();
  const step = $("move-step").value;
  const response = await fetch(API + "move", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ id, step }) });
  const answer = await response.json();
  $("move-result").textContent = response.ok ? `Operation ${answer.id} is now in ${answer.step}.` : answer.error;
}

// --- the app's Home and Messages tabs --------------------------------------------------

function drawHome() {
  const root = $("home");
  if (!state.home) {
    root.replaceChildren(el("p", { class: "empty", text: "Opening opsbot's Home tab…" }));
    return;
  }
  const key = JSON.stringify(state.home);
  if (root.dataset.key === key) return;
  root.dataset.key = key;
  root.replaceChildren(renderBlocks(state.home.blocks, viewContext(state.home)));
}

function showPlace(place) {
  state.place = place;
  const inApp = place !== "channel";
  $("app-tabs").hidden = !inApp;
  $("home").hidden = place !== "home";
  $("messages").hidden = place === "home";
  $("composer-form").hidden = inApp; // the Messages tab is read-only (app_manifest.yml)
  $("tab-home").classList.toggle("current", place === "home");
  $("tab-messages").classList.toggle("current", place === "messages");
  $("app-link").classList.toggle("current", inApp);
}

async function openApp(tab = "home") {
  closeThread();
  state.channel = tab === "messages" ? `D${state.me}` : null;
  $("channel-title").textContent = "opsbot";
  document.title = "opsbot · opsbot playground";
  showPlace(tab);
  drawSidebar();
  if (tab === "messages") {
    $("messages").replaceChildren();
    $("messages").dataset.fresh = "1";
    refresh.channel();
    return;
  }
  state.home = null;
  $("home").dataset.key = "";
  drawHome();
  failed(await post("home", {}), "Opening the Home tab");
  refresh.home();
}

// --- channels and people ---------------------------------------------------------------

function drawSidebar() {
  const { setup } = state;
  $("workspace-name").textContent = setup.team.name;
  const actor = $("actor");
  actor.replaceChildren(...setup.users.map((user) => el("option", { value: user.id, text: `${user.name} (${user.is_admin ? "admin" : "member"})` })));
  actor.value = state.me;
  $("channels").replaceChildren(
    ...setup.channels.map((channel) =>
      el("li", {}, [
        el("button", {
          type: "button",
          class: `channel-link${channel.id === state.channel && state.place === "channel" ? " current" : ""}`,
          "aria-current": channel.id === state.channel ? "page" : undefined,
          onclick: () => switchChannel(channel.id),
        }, [el("span", { class: "channel-sigil", "aria-hidden": "true", text: channel.is_private ? "🔒" : "#" }), el("span", { text: channel.name })]),
      ]),
    ),
  );
  $("move-step").replaceChildren(...setup.steps.map((step) => el("option", { value: step, text: step })));
  $("move-step").value = "DONE";
}

function switchChannel(channelId) {
  state.channel = channelId;
  showPlace("channel");
  const name = state.names.channels[channelId];
  $("channel-title").textContent = `# ${name}`;
  $("composer").setAttribute("aria-label", `Message #${name}`);
  $("composer").placeholder = `Message #${name}`;
  $("messages").replaceChildren();
  $("messages").dataset.fresh = "1";
  document.title = `#${name} · opsbot playground`;
  closeThread();
  drawSidebar();
  const url = new URL(window.location);
  url.searchParams.set("channel", name);
  history.replaceState(null, "", url);
  refresh.channel();
}

function switchUser(userId) {
  state.me = userId;
  const url = new URL(window.location);
  url.searchParams.set("as", state.names.users[userId]);
  history.replaceState(null, "", url);
  if (state.place !== "channel") {
    openApp(state.place);
  } else {
    $("messages").replaceChildren();
    $("messages").dataset.fresh = "1";
    refresh.channel();
    refresh.thread();
  }
  refresh.views();
}

// --- live changes ----------------------------------------------------------------------

function onChange(change) {
  const { kind, data } = change;
  if (kind.startsWith("message.") || kind.startsWith("ephemeral.")) {
    if (data.channel === state.channel) {
      refresh.channel();
      if (state.thread) refresh.thread();
    }
  } else if (kind.startsWith("view.") && kind !== "view.typed") {
    if (!data.user || data.user === state.me) refresh.views();
  } else if (kind === "home.published" && data.user === state.me) {
    refresh.home();
  }
}

function connect(attempt = 0) {
  const socket = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/playground/live`);
  socket.addEventListener("open", () => {
    $("live-state").textContent = "";
    attempt = 0;
    refresh.channel();
    refresh.views();
  });
  socket.addEventListener("message", (event) => onChange(JSON.parse(event.data)));
  socket.addEventListener("close", () => {
    $("live-state").textContent = "Reconnecting…";
    setTimeout(() => connect(attempt + 1), Math.min(5000, 250 * 2 ** attempt));
  });
}

// --- start -----------------------------------------------------------------------------

async function start() {
  state.setup = await get("setup");
  for (const user of state.setup.users) state.names.users[user.id] = user.name;
  state.names.users[state.setup.bot.user] = state.setup.bot.name;
  for (const channel of state.setup.channels) state.names.channels[channel.id] = channel.name;
  const params = new URLSearchParams(location.search);
  const wantedUser = state.setup.users.find((user) => user.name === params.get("as"));
  const wantedChannel = state.setup.channels.find((channel) => channel.name === params.get("channel"));
  state.me = (wantedUser ?? state.setup.users.find((user) => user.is_admin) ?? state.setup.users[0]).id;
  $("actor").addEventListener("change", (event) => switchUser(event.target.value));
  $("composer").addEventListener("input", drawCompletion);
  $("composer").addEventListener("keydown", onComposerKey);
  $("composer").addEventListener("blur", () => setTimeout(() => ($("completion").hidden = true), 100));
  $("composer").addEventListener("focus", drawCompletion);
  $("composer-form").addEventListener("submit", (event) => {
    event.preventDefault();
    send();
  });
  $("thread-close").addEventListener("click", closeThread);
  $("move-form").addEventListener("submit", move);
  $("app-link").addEventListener("click", () => openApp("home"));
  $("tab-home").addEventListener("click", () => openApp("home"));
  $("tab-messages").addEventListener("click", () => openApp("messages"));
  switchChannel((wantedChannel ?? state.setup.channels[0]).id);
  refresh.views();
  connect();
  document.body.dataset.ready = "true";
}

start();
