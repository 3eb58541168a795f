// Block Kit → DOM. Plain text goes in as textContent; mrkdwn through mrkdwnToHtml (escaped).
// ctx: {nameOf, channelOf, onAction(element, actionPayload), inModal}
"use strict";

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function textObject(obj, ctx, tag = "div") {
  const node = el(tag, "text");
  if (!obj) return node;
  if (obj.type === "mrkdwn") node.innerHTML = mrkdwnToHtml(obj.text, ctx.nameOf, ctx.channelOf);
  else node.textContent = plainText(obj);
  return node;
}

// Slack shows plain_text's &amp; &lt; &gt; as the characters (Cascade escapes user text there).
function plainText(obj) {
  return decodeSlack(obj?.text ?? "");
}

function optionLabel(option) {
  return plainText(option?.text);
}

function allOptions(element) {
  if (element.options) return element.options;
  return (element.option_groups || []).flatMap((group) => group.options || []);
}

function renderElement(element, block, ctx) {
  const base = { action_id: element.action_id, block_id: block.block_id || "", type: element.type };
  switch (element.type) {
    case "button": {
      const button = el("button", `bk-button ${element.style || ""}`.trim(), plainText(element.text));
      button.type = "button";
      button.dataset.actionId = element.action_id || "";
      button.addEventListener("click", () => {
        if (element.url && /^https?:/i.test(element.url)) window.open(element.url, "_blank", "noopener");
        ctx.onAction({ ...base, text: element.text, value: element.value ?? "" });
      });
      return button;
    }
    case "static_select":
    case "external_select":
    case "users_select":
    case "conversations_select":
    case "channels_select": {
      const select = el("select", "bk-select");
      select.dataset.actionId = element.action_id || "";
      const placeholder = el("option", "", element.placeholder?.text ?? "Choose…");
      placeholder.value = "";
      select.append(placeholder);
      const options = element.type === "users_select"
        ? (ctx.people || []).map((p) => ({ text: { type: "plain_text", text: p.name }, value: p.id }))
        : allOptions(element);
      for (const option of options) {
        const node = el("option", "", optionLabel(option));
        node.value = option.value;
        if (element.initial_option?.value === option.value || element.initial_user === option.value) node.selected = true;
        select.append(node);
      }
      select.collectState = () => {
        const chosen = options.find((o) => o.value === select.value);
        if (element.type === "users_select") return { type: element.type, selected_user: select.value || null };
        return { type: element.type, selected_option: chosen || null };
      };
      if (!ctx.inInput) {
        select.addEventListener("change", () => {
          const chosen = options.find((o) => o.value === select.value);
          if (chosen) ctx.onAction({ ...base, selected_option: chosen });
        });
      }
      return select;
    }
    case "overflow": {
      const wrap = el("span", "bk-overflow");
      const toggle = el("button", "bk-button overflow-toggle", "⋯");
      toggle.type = "button";
      toggle.dataset.actionId = element.action_id || "";
      const menu = el("div", "overflow-menu");
      menu.hidden = true;
      for (const option of element.options || []) {
        const item = el("button", "overflow-item", optionLabel(option));
        item.type = "button";
        item.addEventListener("click", () => {
          menu.hidden = true;
          ctx.onAction({ ...base, selected_option: option });
        });
        menu.append(item);
      }
      toggle.addEventListener("click", () => { menu.hidden = !menu.hidden; });
      wrap.append(toggle, menu);
      return wrap;
    }
    case "datepicker": {
      const input = el("input", "bk-date");
      input.type = "date";
      if (element.initial_date) input.value = element.initial_date;
      input.dataset.actionId = element.action_id || "";
      input.collectState = () => ({ type: "datepicker", selected_date: input.value || null });
      if (!ctx.inInput) {
        input.addEventListener("change", () => ctx.onAction({ ...base, selected_date: input.value }));
      }
      return input;
    }
    case "plain_text_input":
    case "email_text_input":
    case "url_text_input":
    case "number_input": {
      const input = element.multiline ? el("textarea", "bk-input") : el("input", "bk-input");
      if (!element.multiline) input.type = { email_text_input: "email", url_text_input: "url", number_input: "number" }[element.type] || "text";
      if (element.initial_value) input.value = element.initial_value;
      if (element.max_length) input.maxLength = element.max_length;
      if (element.placeholder) input.placeholder = element.placeholder.text;
      input.dataset.actionId = element.action_id || "";
      input.collectState = () => ({ type: element.type, value: input.value === "" ? null : input.value });
      return input;
    }
    case "radio_buttons":
    case "checkboxes": {
      const group = el("div", "bk-choices");
      const name = `${block.block_id}-${element.action_id}`;
      for (const option of element.options || []) {
        const label = el("label", "choice");
        const input = el("input");
        input.type = element.type === "radio_buttons" ? "radio" : "checkbox";
        input.name = name;
        input.value = option.value;
        label.append(input, textObject(option.text, ctx, "span"));
        group.append(label);
      }
      group.collectState = () => {
        const chosen = [...group.querySelectorAll("input:checked")].map((i) => allOptions(element).find((o) => o.value === i.value));
        return element.type === "radio_buttons"
          ? { type: element.type, selected_option: chosen[0] || null }
          : { type: element.type, selected_options: chosen };
      };
      return group;
    }
    case "image": {
      const img = el("img", "bk-image");
      img.alt = element.alt_text || "";
      if (/^(\/|data:image\/)/.test(element.image_url || "")) img.src = element.image_url;
      return img;
    }
    case "mrkdwn":
    case "plain_text":
      return textObject(element, ctx, "span");
    default:
      return el("span", "unsupported", `[${element.type}]`);
  }
}

function renderBlock(block, ctx) {
  const node = el("div", `block block-${block.type}`);
  node.dataset.blockId = block.block_id || "";
  switch (block.type) {
    case "header":
      node.append(el("h3", "", plainText(block.text)));
      break;
    case "section": {
      const body = el("div", "section-body");
      if (block.text) body.append(textObject(block.text, ctx));
      if (block.fields) {
        const fields = el("div", "fields");
        for (const field of block.fields) fields.append(textObject(field, ctx));
        body.append(fields);
      }
      node.append(body);
      if (block.accessory) node.append(renderElement(block.accessory, block, ctx));
      break;
    }
    case "context":
      for (const element of block.elements || []) node.append(renderElement(element, block, ctx));
      break;
    case "divider":
      node.append(el("hr"));
      break;
    case "actions":
      for (const element of block.elements || []) node.append(renderElement(element, block, ctx));
      break;
    case "image": {
      if (block.title) node.append(textObject(block.title, ctx));
      node.append(renderElement({ type: "image", image_url: block.image_url, alt_text: block.alt_text }, block, ctx));
      break;
    }
    case "input": {
      const label = el("label", "input-label", block.label?.text ?? "");
      if (block.optional) label.append(el("span", "optional", " (optional)"));
      const control = renderElement(block.element, block, { ...ctx, inInput: !block.dispatch_action });
      control.classList.add("input-control");
      node.append(label, control);
      if (block.hint) node.append(el("div", "hint", block.hint.text));
      node.append(el("div", "field-error"));
      node.collectState = () => ({ [block.element.action_id]: control.collectState ? control.collectState() : {} });
      break;
    }
    case "rich_text": {
      const walk = (e) => (typeof e.text === "string" ? e.text : (e.elements || []).map(walk).join(""));
      node.append(el("div", "text", (block.elements || []).map(walk).join("\n")));
      break;
    }
    default:
      node.append(el("span", "unsupported", `[unsupported block: ${block.type}]`));
  }
  return node;
}

function renderBlocks(blocks, ctx) {
  const wrap = el("div", "blocks");
  for (const block of blocks || []) wrap.append(renderBlock(block, ctx));
  return wrap;
}

window.renderBlocks = renderBlocks;
window.el = el;
