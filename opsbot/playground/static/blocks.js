// Block Kit to DOM, for messages and modals: section (text, fields, accessory),
// context, divider, header, image, actions, input; buttons (primary and danger,
// confirm dialogs), static and external selects (option groups, type-ahead),
// overflow menus, date pickers, text inputs, checkboxes and radio buttons.
//
// `ctx` is the surface being drawn:
//   names                      user and channel names, for mentions
//   act(element, blockId, choice)      a click or a choice (returns a promise)
//   suggest(element, blockId, typed)   an external select's options (a promise)
//   confirm(confirmObject)     a confirm dialog; resolves true to go on
//   initial(blockId, element)  a modal input's current value (typed or stored)
//   changed(blockId, value)    a modal input was edited
//   errors                     {blockId: message} shown under modal inputs
//   inputs                     Map blockId -> () => value, filled for modals
import { mrkdwnToHtml, plainToHtml } from "./mrkdwn.js";

let uniqueId = 0;
const nextId = (prefix) => `${prefix}-${++uniqueId}`;

function el(tag, attributes = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "html") node.innerHTML = value;
    else if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of [].concat(children)) if (child) node.append(child);
  return node;
}

export { el };

export function textHtml(text, ctx) {
  if (!text) return "";
  return text.type === "mrkdwn" ? mrkdwnToHtml(text.text, ctx.names) : plainToHtml(text.text, text.emoji !== false);
}

export function plainText(text) {
  return text?.text ?? "";
}

export function renderBlocks(blocks, ctx) {
  const container = el("div", { class: "blocks" });
  for (const block of blocks ?? []) {
    const drawn = renderBlock(block, ctx);
    if (drawn) container.append(drawn);
  }
  return container;
}

function renderBlock(block, ctx) {
  const draw = BLOCKS[block.type];
  return draw ? draw(block, ctx) : el("div", { class: "block unknown", text: `[${block.type}]` });
}

const BLOCKS = {
  section(block, ctx) {
    const body = el("div", { class: "section-body" });
    if (block.text) body.append(el("div", { class: "section-text", html: textHtml(block.text, ctx) }));
    if (block.fields?.length) {
      body.append(
        el(
          "div",
          { class: "section-fields" },
          block.fields.map((field) => el("div", { class: "field", html: textHtml(field, ctx) })),
        ),
      );
    }
    const section = el("div", { class: "block section" }, [body]);
    if (block.accessory) {
      section.append(el("div", { class: "accessory" }, [renderElement(block.accessory, block.block_id, ctx)]));
    }
    return section;
  },
  context(block, ctx) {
    return el(
      "div",
      { class: "block context" },
      (block.elements ?? []).map((item) =>
        item.type === "image"
          ? el("img", { src: item.image_url, alt: item.alt_text ?? "", class: "context-image" })
          : el("span", { html: textHtml(item, ctx) }),
      ),
    );
  },
  divider() {
    return el("hr", { class: "block divider" });
  },
  header(block, ctx) {
    return el("div", { class: "block header", role: "heading", "aria-level": "3", html: textHtml(block.text, ctx) });
  },
  image(block, ctx) {
    const figure = el("figure", { class: "block image" });
    if (block.title) figure.append(el("figcaption", { html: textHtml(block.title, ctx) }));
    figure.append(el("img", { src: block.image_url, alt: block.alt_text ?? "" }));
    return figure;
  },
  actions(block, ctx) {
    return el(
      "div",
      { class: "block actions" },
      (block.elements ?? []).map((element) => renderElement(element, block.block_id, ctx)),
    );
  },
  input(block, ctx) {
    return renderInput(block, ctx);
  },
  rich_text(block) {
    const text = JSON.stringify(block.elements ?? []).replace(/"[^"]*":/g, " ").replace(/[{}[\]",]/g, "");
    return el("div", { class: "block rich-text", text });
  },
};

// --- interactive elements ---------------------------------------------------------------

function renderElement(element, blockId, ctx, labelId) {
  switch (element.type) {
    case "button":
      return button(element, blockId, ctx);
    case "static_select":
    case "external_select":
      return select(element, blockId, ctx, { labelId, onChoose: (choice) => ctx.act(element, blockId, choice) });
    case "overflow":
      return overflow(element, blockId, ctx);
    case "datepicker":
      return datepicker(element, blockId, ctx, labelId, (value) => ctx.act(element, blockId, value));
    case "image":
      return el("img", { class: "accessory-image", src: element.image_url, alt: element.alt_text ?? "" });
    default:
      return el("span", { class: "unknown", text: `[${element.type}]` });
  }
}

function button(element, blockId, ctx) {
  const style = element.style ? ` ${element.style}` : "";
  const node = el("button", { type: "button", class: `sk-button${style}`, html: plainToHtml(plainText(element.text)) });
  node.addEventListener("click", async () => {
    if (element.confirm && !(await ctx.confirm(element.confirm))) return;
    if (element.url) window.open(element.url, "_blank", "noopener");
    node.disabled = true;
    try {
      await ctx.act(element, blockId, null);
    } finally {
      node.disabled = false;
    }
  });
  return node;
}

function overflow(element, blockId, ctx) {
  const menuId = nextId("menu");
  const wrapper = el("div", { class: "sk-overflow" });
  const toggle = el("button", {
    type: "button",
    class: "sk-button overflow-toggle",
    "aria-label": "More actions",
    "aria-haspopup": "menu",
    "aria-expanded": "false",
    "aria-controls": menuId,
    text: "⋯",
  });
  const menu = el("div", { class: "sk-menu", role: "menu", id: menuId, hidden: true });
  const close = () => {
    menu.hidden = true;
    toggle.setAttribute("aria-expanded", "false");
  };
  for (const option of element.options ?? []) {
    menu.append(
      el("button", {
        type: "button",
        role: "menuitem",
        class: "sk-menu-item",
        html: plainToHtml(plainText(option.text)),
        onclick: async () => {
          close();
          if (element.confirm && !(await ctx.confirm(element.confirm))) return;
          if (option.url) window.open(option.url, "_blank", "noopener");
          await ctx.act(element, blockId, option.value);
        },
      }),
    );
  }
  toggle.addEventListener("click", () => {
    menu.hidden = !menu.hidden;
    toggle.setAttribute("aria-expanded", String(!menu.hidden));
  });
  wrapper.addEventListener("focusout", (event) => {
    if (!wrapper.contains(event.relatedTarget)) close();
  });
  wrapper.append(toggle, menu);
  return wrapper;
}

function datepicker(element, blockId, ctx, labelId, onPick) {
  const input = el("input", {
    type: "date",
    class: "sk-date",
    value: element.initial_date ?? "",
    "aria-labelledby": labelId,
    "aria-label": labelId ? undefined : plainText(element.placeholder) || "Pick a date",
  });
  input.addEventListener("change", () => onPick(input.value || null));
  return input;
}

// A select as Slack draws it: a box that filters as you type. Static options are
// filtered here; an external select asks the app (block_suggestion) as you type.
export function select(element, blockId, ctx, { labelId, onChoose, initial = null, describedBy }) {
  const listId = nextId("listbox");
  const external = element.type === "external_select";
  const placeholder = plainText(element.placeholder) || "Select an item";
  const wrapper = el("div", { class: "sk-select" });
  const input = el("input", {
    type: "text",
    class: "sk-select-input",
    role: "combobox",
    autocomplete: "off",
    "aria-autocomplete": "list",
    "aria-expanded": "false",
    "aria-controls": listId,
    "aria-labelledby": labelId,
    "aria-label": labelId ? undefined : placeholder,
    "aria-describedby": describedBy,
    placeholder,
  });
  const list = el("ul", { class: "sk-listbox", role: "listbox", id: listId, hidden: true });
  let selected = initial ?? element.initial_option ?? null;
  let shown = [];
  let active = -1;
  let pending = 0;
  input.value = selected ? plainText(selected.text) : "";

  const choose = async (option) => {
    selected = option;
    input.value = plainText(option.text);
    closeList();
    await onChoose(external ? option : option.value, option);
  };
  const closeList = () => {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    if (selected) input.value = plainText(selected.text);
  };
  const draw = (groups) => {
    list.replaceChildren();
    shown = [];
    active = -1;
    for (const group of groups) {
      if (group.label) list.append(el("li", { class: "sk-group-label", role: "presentation", html: plainToHtml(plainText(group.label)) }));
      for (const option of group.options) {
        const id = nextId("option");
        shown.push({ option, id });
        list.append(
          el("li", {
            id,
            role: "option",
            class: "sk-option",
            "aria-selected": selected?.value === option.value ? "true" : "false",
            html: plainToHtml(plainText(option.text)),
            onmousedown: (event) => {
              event.preventDefault();
              choose(option);
            },
          }),
        );
      }
    }
    if (!shown.length) list.append(el("li", { class: "sk-no-options", role: "presentation", text: "No results" }));
    place(list, input);
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
  };
  const refresh = async (typed) => {
    if (!external) return draw(filtered(element, typed));
    const wanted = ++pending;
    const minimum = element.min_query_length ?? 3;
    if (typed.length < minimum) return draw([]);
    const options = await ctx.suggest(element, blockId, typed);
    if (wanted === pending) draw(groupsOf(options));
  };
  const move = (step) => {
    if (!shown.length) return;
    active = (active + step + shown.length) % shown.length;
    for (const { id } of shown) document.getElementById(id)?.classList.remove("active");
    const current = document.getElementById(shown[active].id);
    current?.classList.add("active");
    current?.scrollIntoView({ block: "nearest" });
    input.setAttribute("aria-activedescendant", shown[active].id);
  };

  // Like Slack's, the menu opens on a click, a key or typing; not on focus alone.
  input.addEventListener("click", () => {
    if (!list.hidden) return;
    input.select();
    refresh("");
  });
  input.addEventListener("input", () => refresh(input.value));
  input.addEventListener("blur", closeList);
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" && list.hidden) refresh("");
    else if (event.key === "ArrowDown") move(1);
    else if (event.key === "ArrowUp") move(-1);
    else if (event.key === "Escape") {
      closeList();
      return;
    } else if (event.key === "Enter") {
      const pick = shown[active >= 0 ? active : 0];
      if (pick && !list.hidden) choose(pick.option);
    } else return;
    event.preventDefault();
    event.stopPropagation();
  });
  wrapper.append(input, list);
  wrapper.value = () => (selected ? (external ? selected : selected.value) : null);
  wrapper.focusTarget = input;
  return wrapper;
}

// The list floats over everything, as Slack's menus do: a modal's scrolling
// body never clips it, and it opens upwards when there is no room below.
function place(list, input) {
  const rect = input.getBoundingClientRect();
  const below = window.innerHeight - rect.bottom - 12;
  const upwards = below < 200 && rect.top > below;
  list.style.left = `${rect.left}px`;
  list.style.width = `${Math.max(rect.width, 260)}px`;
  list.style.top = upwards ? "" : `${rect.bottom + 4}px`;
  list.style.bottom = upwards ? `${window.innerHeight - rect.top + 4}px` : "";
  list.style.maxHeight = `${Math.min(300, upwards ? rect.top - 12 : below)}px`;
}

function groupsOf(holder) {
  if (holder?.option_groups?.length) return holder.option_groups.map((g) => ({ label: g.label, options: g.options ?? [] }));
  return [{ label: null, options: holder?.options ?? holder ?? [] }];
}

function filtered(element, typed) {
  const wanted = typed.trim().toLowerCase();
  return groupsOf(element)
    .map((group) => ({
      label: group.label,
      options: group.options.filter((option) => plainText(option.text).toLowerCase().includes(wanted)),
    }))
    .filter((group) => group.options.length || !wanted);
}

// --- modal inputs -----------------------------------------------------------------------

function renderInput(block, ctx) {
  const labelId = nextId("label");
  const errorId = nextId("error");
  const element = block.element ?? {};
  const error = ctx.errors?.[block.block_id];
  const label = el("label", { id: labelId, class: "input-label" }, [
    el("span", { html: plainToHtml(plainText(block.label)) }),
    block.optional ? el("span", { class: "optional", text: " (optional)" }) : null,
  ]);
  const control = inputControl(block, element, ctx, { labelId, errorId: error ? errorId : undefined });
  const wrapper = el("div", { class: `block input${error ? " has-error" : ""}`, "data-block-id": block.block_id }, [label, control]);
  if (control.id) label.setAttribute("for", control.id);
  if (error) wrapper.append(el("div", { class: "input-error", id: errorId, text: error }));
  if (block.hint) wrapper.append(el("div", { class: "input-hint", html: plainToHtml(plainText(block.hint)) }));
  return wrapper;
}

function inputControl(block, element, ctx, { labelId, errorId }) {
  const blockId = block.block_id;
  const current = ctx.initial(blockId, element);
  const changed = (value) => ctx.changed(blockId, value);
  const invalid = errorId ? "true" : undefined;
  switch (element.type) {
    case "static_select":
    case "external_select": {
      const box = select(element, blockId, ctx, {
        labelId,
        initial: current ?? undefined,
        describedBy: errorId,
        onChoose: (choice) => changed(choice),
      });
      ctx.inputs.set(blockId, box.value);
      if (invalid) box.focusTarget.setAttribute("aria-invalid", "true");
      return box;
    }
    case "datepicker": {
      const input = datepicker({ ...element, initial_date: current ?? "" }, blockId, ctx, labelId, changed);
      input.id = nextId("input");
      decorate(input, errorId);
      ctx.inputs.set(blockId, () => input.value || null);
      return input;
    }
    case "checkboxes":
    case "radio_buttons":
      return choices(element, blockId, ctx, { labelId, current, changed });
    case "multi_static_select":
    case "multi_users_select":
    case "multi_conversations_select":
    case "multi_channels_select":
      // Drawn as a list of boxes to tick: the page knows every person and channel.
      return choices({ type: "checkboxes", options: multiOptions(element, ctx) }, blockId, ctx, { labelId, current, changed });
    default: {
      const multiline = Boolean(element.multiline);
      const input = el(multiline ? "textarea" : "input", {
        id: nextId("input"),
        class: multiline ? "sk-textarea" : "sk-text",
        type: multiline ? undefined : inputType(element.type),
        placeholder: plainText(element.placeholder) || undefined,
        maxlength: element.max_length,
        rows: multiline ? 4 : undefined,
      });
      input.value = current ?? "";
      decorate(input, errorId);
      input.addEventListener("input", () => changed(input.value));
      ctx.inputs.set(blockId, () => input.value);
      return input;
    }
  }
}

function decorate(input, errorId) {
  if (!errorId) return;
  input.setAttribute("aria-invalid", "true");
  input.setAttribute("aria-describedby", errorId);
}

function inputType(type) {
  return { number_input: "number", email_text_input: "email", url_text_input: "url" }[type] ?? "text";
}

function multiOptions(element, ctx) {
  const plain = (text) => ({ type: "plain_text", text });
  if (element.type === "multi_users_select") return (ctx.people ?? []).map((user) => ({ text: plain(user.name), value: user.id }));
  if (element.type === "multi_static_select") return groupsOf(element).flatMap((group) => group.options);
  return (ctx.channels ?? []).map((channel) => ({ text: plain(`#${channel.name}`), value: channel.id }));
}

function choices(element, blockId, ctx, { labelId, current, changed }) {
  const multiple = element.type === "checkboxes";
  const group = el("div", { class: "sk-choices", role: multiple ? "group" : "radiogroup", "aria-labelledby": labelId });
  const name = nextId("choice");
  const picked = new Set([].concat(current ?? []).map((option) => option?.value ?? option));
  const boxes = [];
  for (const option of element.options ?? []) {
    const box = el("input", { type: multiple ? "checkbox" : "radio", name, value: option.value });
    box.checked = picked.has(option.value);
    boxes.push(box);
    group.append(el("label", { class: "sk-choice" }, [box, el("span", { html: textHtml(option.text, ctx) })]));
  }
  const value = () => {
    const values = boxes.filter((box) => box.checked).map((box) => box.value);
    return multiple ? values : values[0] ?? null;
  };
  group.addEventListener("change", () => changed(value()));
  ctx.inputs.set(blockId, value);
  return group;
}
