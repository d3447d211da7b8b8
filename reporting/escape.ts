// Escaping for the strings a run puts in its reports. Keys and reasons come from the system under test, so
// every one of them may hold markup, quotes or control characters.

/**
 * Characters XML 1.0 cannot carry at all, even as references: C0 controls except tab/LF/CR, lone
 * surrogates, U+FFFE and U+FFFF. They are shown as \uXXXX so the key stays recognisable.
 */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Escapes text for an XML or HTML element body or a quoted attribute value (both quote kinds). */
export function escapeMarkup(value: unknown): string {
  return String(value)
    .replace(NOT_XML, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)
    .replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** As escapeMarkup, for attribute values, where a parser would turn a raw line break into a space. */
export function escapeAttribute(value: unknown): string {
  return escapeMarkup(value).replace(/\r/g, "&#13;").replace(/\n/g, "&#10;").replace(/\t/g, "&#9;");
}

/**
 * JSON to embed in `<script type="application/json">`: `<`, `>` and `&` become \u escapes (equivalent
 * inside JSON strings, the only place they can occur), so no value can close the script element or open a
 * comment.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** At most `limit` items joined by ", ", then "and N more". */
export function listSome(items: string[], limit: number): string {
  const shown = items.slice(0, limit).join(", ");
  return items.length > limit ? `${shown} and ${items.length - limit} more` : shown;
}
