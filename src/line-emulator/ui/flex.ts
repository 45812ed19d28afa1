import { html, type Html } from "./html.ts";

/**
 * Flex messages and quick replies drawn the way the LINE app shows them, so a person can judge
 * what a bot sends. The page's CSP allows no inline style, so LINE's properties map to a fixed
 * set of classes (sizes, weight, layout, a muted colour); exact colours and margins are not drawn.
 */
type Node = Record<string, unknown>;

const SIZES = new Set(["xxs", "xs", "sm", "md", "lg", "xl", "xxl", "3xl", "4xl", "5xl"]);
const str = (v: unknown) => (typeof v === "string" ? v : "");
const nodes = (v: unknown): Node[] => (Array.isArray(v) ? v.filter((n): n is Node => !!n && typeof n === "object") : []);

/** A light or grey colour reads as secondary text; LINE's exact colours are not reproduced. */
function muted(color: string): boolean {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})/i.exec(color);
  if (!m) return false;
  const [r, g, b] = [m[1], m[2], m[3]].map((x) => parseInt(x!, 16));
  return Math.max(r!, g!, b!) - Math.min(r!, g!, b!) < 24 && r! > 0x60;
}

/** What a tap does: a postback (sent by the form), a text message, or a link. */
export type ActionTarget = { postbackPath: string; textPath: string };

function actionControl(action: Node, label: string, target: ActionTarget, cls: string): Html {
  switch (action.type) {
    case "postback":
      return html`<form method="post" action="${target.postbackPath}" class="fx-action-form"><input type="hidden" name="data" value="${str(action.data)}"><input type="hidden" name="displayText" value="${str(action.displayText)}"><button type="submit" class="${cls}">${label}</button></form>`;
    case "message":
      return html`<form method="post" action="${target.textPath}" class="fx-action-form"><input type="hidden" name="text" value="${str(action.text)}"><button type="submit" class="${cls}">${label}</button></form>`;
    case "uri":
      return /^https?:\/\//.test(str(action.uri)) ? html`<a class="${cls}" href="${str(action.uri)}" rel="noopener noreferrer" target="_blank">${label}</a>` : html`<span class="${cls}">${label}</span>`;
    default:
      return html`<span class="${cls}">${label}</span>`;
  }
}

function component(n: Node, target: ActionTarget): Html {
  switch (n.type) {
    case "box": {
      const layout = ["horizontal", "baseline"].includes(str(n.layout)) ? "fx-row" : "fx-col";
      return html`<div class="fx-box ${layout}">${nodes(n.contents).map((c) => component(c, target))}</div>`;
    }
    case "text": {
      const size = SIZES.has(str(n.size)) ? str(n.size) : "md";
      const spans = nodes(n.contents);
      const body = spans.length ? spans.map((s) => html`<span class="${s.weight === "bold" ? "fx-bold" : ""}">${str(s.text)}</span>`) : str(n.text);
      return html`<p class="fx-text fx-${size}${n.weight === "bold" ? " fx-bold" : ""}${muted(str(n.color)) ? " fx-muted" : ""}">${body}</p>`;
    }
    case "image":
      return html`<img class="fx-img${str(n.aspectRatio) === "1:1" ? " fx-square" : ""}" src="${str(n.url)}" alt="">`;
    case "icon":
      return html`<img class="fx-icon" src="${str(n.url)}" alt="">`;
    case "button": {
      const action = (n.action ?? {}) as Node;
      return actionControl(action, str(action.label), target, n.style === "primary" ? "fx-button primary" : "fx-button");
    }
    case "separator":
      return html`<hr class="fx-sep">`;
    default:
      // filler, spacer, video: room, not content.
      return html`<div class="fx-filler"></div>`;
  }
}

function bubble(b: Node, target: ActionTarget): Html {
  const part = (name: "header" | "hero" | "body" | "footer") => {
    const n = b[name] as Node | undefined;
    return n ? html`<div class="fx-${name}">${component(n, target)}</div>` : "";
  };
  return html`<div class="fx-bubble">${part("header")}${part("hero")}${part("body")}${part("footer")}</div>`;
}

/** A flex message's container: one bubble, or a carousel of them side by side. */
export function renderFlex(message: Record<string, unknown>, target: ActionTarget): Html {
  const contents = (message.contents ?? {}) as Node;
  if (contents.type === "carousel") return html`<div class="fx-carousel">${nodes(contents.contents).map((b) => bubble(b, target))}</div>`;
  return bubble(contents, target);
}

/** The quick-reply buttons LINE shows above the keyboard while their message is the latest one. */
export function renderQuickReply(message: Record<string, unknown>, target: ActionTarget): Html {
  const items = nodes((message.quickReply as Node | undefined)?.items);
  if (!items.length) return html``;
  return html`<nav class="quick-reply" aria-label="Quick replies">${items.map((i) => {
    const action = (i.action ?? {}) as Node;
    return actionControl(action, str(action.label), target, "qr-chip");
  })}</nav>`;
}
