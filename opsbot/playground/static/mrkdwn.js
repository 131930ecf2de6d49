// Slack's mrkdwn to HTML: *bold*, _italic_, ~strike~, `code`, ```code blocks```,
// > quotes, <url|links>, <@U…> and <#C…> mentions, <!here>, :emoji:.
// Slack's text arrives with &, < and > escaped as &amp; &lt; &gt;: they are
// decoded once, and everything shown is escaped again for HTML, so no text
// from the app or the API can ever become markup here.
import { emojify } from "./emoji.js";

const ENTITIES = { "&amp;": "&", "&lt;": "<", "&gt;": ">" };

export function decodeEntities(text) {
  return text.replace(/&(amp|lt|gt);/g, (entity) => ENTITIES[entity]);
}

export function escapeHtml(text) {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

// Plain text as Slack shows it: no formatting, emoji if asked.
export function plainToHtml(text, emoji = true) {
  const shown = escapeHtml(text ?? "");
  return (emoji ? emojify(shown) : shown).replace(/\n/g, "<br>");
}

export function mrkdwnToHtml(text, names) {
  const parts = (text ?? "").split("```");
  return parts
    .map((part, index) =>
      index % 2 === 1 && index < parts.length - 1
        ? `<pre class="code-block">${escapeHtml(decodeEntities(part.replace(/^\n/, "")))}</pre>`
        : blocksOfLines(part, names),
    )
    .join("");
}

// Lines starting with ">" (or "&gt;") are a quote; the rest are lines of text.
function blocksOfLines(text, names) {
  const out = [];
  let quote = [];
  let lines = [];
  const flushLines = () => {
    if (lines.length) out.push(lines.map((line) => inline(line, names)).join("<br>"));
    lines = [];
  };
  const flushQuote = () => {
    if (quote.length) {
      out.push(`<blockquote>${quote.map((line) => inline(line, names)).join("<br>")}</blockquote>`);
    }
    quote = [];
  };
  for (const line of text.split("\n")) {
    const quoted = /^(?:&gt;|>)\s?(.*)$/.exec(line);
    if (quoted) {
      flushLines();
      quote.push(quoted[1]);
    } else {
      flushQuote();
      lines.push(line);
    }
  }
  flushLines();
  flushQuote();
  return out.join("<br>");
}

// One line: `code` spans are left alone, the rest gets links and formatting.
function inline(line, names) {
  return line
    .split(/(`[^`\n]+`)/)
    .map((piece) =>
      /^`[^`\n]+`$/.test(piece)
        ? `<code>${escapeHtml(decodeEntities(piece.slice(1, -1)))}</code>`
        : formatted(piece, names),
    )
    .join("");
}

// A marker opens or closes only where no letter or digit touches it on the outside.
const BOUNDARY_BEFORE = "(^|(?<![\\p{L}\\p{N}]))";
const BOUNDARY_AFTER = "(?![\\p{L}\\p{N}])";

function styled(html, marker, tag) {
  const m = marker.replace(/\*/g, "\\*");
  // Markers may appear inside (_missing_parameter_); the closing one is the
  // first followed by a word boundary, as in Slack.
  const pattern = new RegExp(`${BOUNDARY_BEFORE}${m}(\\S(?:[^\\n]*?\\S)?)${m}${BOUNDARY_AFTER}`, "gu");
  return html.replace(pattern, (_, before, inner) => `${before}<${tag}>${inner}</${tag}>`);
}

function formatted(text, names) {
  const tokens = [];
  // <…> tokens become placeholders first, so formatting never reaches into a URL.
  const held = text.replace(/<([^<>\n]+)>/g, (_, token) => {
    tokens.push(special(token, names));
    return `\u0000${tokens.length - 1}\u0000`;
  });
  let html = escapeHtml(decodeEntities(held));
  html = styled(html, "*", "strong");
  html = styled(html, "_", "em");
  html = styled(html, "~", "del");
  html = emojify(html);
  return html.replace(/\u0000(\d+)\u0000/g, (_, index) => tokens[Number(index)]);
}

function special(token, names) {
  const [target, label] = splitLabel(token);
  if (target.startsWith("@")) {
    const id = target.slice(1);
    const name = label || names.users[id] || id;
    return `<span class="mention" data-user="${escapeHtml(id)}">@${escapeHtml(name)}</span>`;
  }
  if (target.startsWith("#")) {
    const id = target.slice(1);
    const name = label || names.channels[id] || id;
    return `<span class="mention channel-mention">#${escapeHtml(name)}</span>`;
  }
  if (target.startsWith("!")) {
    const word = target.slice(1).split("^")[0];
    const shown = label || (["here", "channel", "everyone"].includes(word) ? `@${word}` : word);
    return `<span class="mention broadcast">${escapeHtml(decodeEntities(shown))}</span>`;
  }
  const url = decodeEntities(target);
  if (!/^(https?:|mailto:)/i.test(url)) return escapeHtml(decodeEntities(token));
  const shown = label ? decodeEntities(label) : url;
  return `<a href="${escapeHtml(url)}" target="_blank" rel="noopener noreferrer">${escapeHtml(shown)}</a>`;
}

function splitLabel(token) {
  const bar = token.indexOf("|");
  return bar < 0 ? [token, ""] : [token.slice(0, bar), token.slice(bar + 1)];
}
