// Slack mrkdwn → safe HTML. Everything the person or the app wrote is escaped before any
// formatting is added, so text can never become markup or script.
"use strict";

// Slack's shortcodes → emoji: every one Cascade's templates use (a test reads prompts/ for them)
// and a few common ones. An unknown shortcode stays as text, as Slack shows one it lacks.
const EMOJI = {
  white_check_mark: "✅", heavy_check_mark: "✔️", x: "❌", warning: "⚠️", rotating_light: "🚨",
  information_source: "ℹ️", bulb: "💡", mag: "🔍", eyes: "👀", speech_balloon: "💬",
  dart: "🎯", checkered_flag: "🏁", trophy: "🏆", tada: "🎉", sparkles: "✨", rocket: "🚀",
  arrow_up: "⬆️", arrow_down: "⬇️", arrow_right: "➡️", arrow_left: "⬅️", zzz: "💤",
  bar_chart: "📊", chart_with_upwards_trend: "📈", chart_with_downwards_trend: "📉",
  calendar: "📆", date: "📅", spiral_calendar_pad: "🗓️", memo: "📝", pencil: "📝", pencil2: "✏️",
  link: "🔗", compass: "🧭", office: "🏢", construction: "🚧", bell: "🔔", handshake: "🤝",
  ok_hand: "👌", wave: "👋", point_right: "👉", raised_hands: "🙌", thumbsup: "👍", "+1": "👍",
  fire: "🔥", hourglass: "⌛", hourglass_flowing_sand: "⏳", outbox_tray: "📤", inbox_tray: "📥",
  wastebasket: "🗑️", heavy_plus_sign: "➕", question: "❓", star: "⭐", seedling: "🌱",
};

function escapeHtml(text) {
  return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

function decodeSlack(text) {
  return String(text).replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

const EDGE_BEFORE = "(^|[\\s(\\[{\"'“‘—-]|&#39;|&quot;)";
const EDGE_AFTER = "(?=$|[\\s)\\]}.,!?:;\"'”’—-]|&#39;|&quot;)";
const STYLES = [["\\*", "b"], ["_", "i"], ["~", "s"]].map(([mark, tag]) => [
  new RegExp(`${EDGE_BEFORE}${mark}([^\\n]+?)${mark}${EDGE_AFTER}`, "g"), tag,
]);

function formatPlain(raw) {
  let html = escapeHtml(decodeSlack(raw));
  const kept = [];
  const keep = (fragment) => `\u0000${kept.push(fragment) - 1}\u0000`;
  html = html.replace(/```([\s\S]+?)```/g, (_, code) => keep(`<pre>${code}</pre>`));
  html = html.replace(/`([^`\n]+)`/g, (_, code) => keep(`<code>${code}</code>`));
  for (const [pattern, tag] of STYLES) html = html.replace(pattern, `$1<${tag}>$2</${tag}>`);
  html = html.replace(/:([a-z0-9_+-]+):/g, (all, name) =>
    EMOJI[name] ? `<span class="emoji" title=":${name}:">${EMOJI[name]}</span>`
                : `<span class="emoji">${all}</span>`);
  html = html.replace(/\n/g, "<br>");
  return html.replace(/\u0000(\d+)\u0000/g, (_, i) => kept[Number(i)]);
}

function formatToken(inner, nameOf, channelOf) {
  const [target, label] = inner.split("|", 2);
  if (target.startsWith("@")) {
    const id = target.slice(1);
    return `<span class="mention">@${escapeHtml(nameOf(id) || decodeSlack(label || id))}</span>`;
  }
  if (target.startsWith("#")) {
    const id = target.slice(1);
    const name = (channelOf && channelOf(id)) || decodeSlack(label || id);
    return `<span class="mention">#${escapeHtml(name)}</span>`;
  }
  if (target.startsWith("!")) {
    const special = target.slice(1).split("^")[0];
    const shown = label ? decodeSlack(label) : `@${special}`;
    return `<span class="mention">${escapeHtml(shown)}</span>`;
  }
  const url = decodeSlack(target);
  if (/^(https?:|mailto:)/i.test(url)) {
    return `<a href="${escapeHtml(url)}" target="_blank" rel="noopener noreferrer">${escapeHtml(decodeSlack(label || url))}</a>`;
  }
  return escapeHtml(`<${decodeSlack(inner)}>`);
}

// nameOf(userId) → a display name, or "" when unknown; channelOf(channelId), optional, the same
// for channels (Slack shows a channel's name, whatever label the token carries). A line that starts with ">" (or "&gt;", as
// Slack escapes a typed one) is a quote, as Slack renders it; consecutive ones make one quote.
function mrkdwnToHtml(raw, nameOf, channelOf) {
  const segments = [];
  let fenced = false;
  for (const line of String(raw ?? "").split("\n")) {
    const quoted = fenced ? null : /^(?:>|&gt;) ?(.*)$/.exec(line);
    const kind = quoted ? "quote" : "plain";
    const last = segments[segments.length - 1];
    if (last && last.kind === kind) last.lines.push(quoted ? quoted[1] : line);
    else segments.push({ kind, lines: [quoted ? quoted[1] : line] });
    if ((line.match(/```/g) || []).length % 2) fenced = !fenced;
  }
  return segments.map(({ kind, lines }) => {
    const html = inlineToHtml(lines.join("\n"), nameOf, channelOf);
    return kind === "quote" ? `<blockquote>${html}</blockquote>` : html;
  }).join("");
}

function inlineToHtml(text, nameOf, channelOf) {
  const parts = [];
  const tokens = /<([^<>\n]+)>/g;
  let last = 0;
  let match;
  while ((match = tokens.exec(text)) !== null) {
    parts.push(formatPlain(text.slice(last, match.index)));
    parts.push(formatToken(match[1], nameOf, channelOf));
    last = tokens.lastIndex;
  }
  parts.push(formatPlain(text.slice(last)));
  return parts.join("");
}

window.mrkdwnToHtml = mrkdwnToHtml;
window.escapeHtml = escapeHtml;
