// The report's table and cell markup, shared by every section of report.html: values are escaped unless marked
// as markup already.
import { escapeAttribute, escapeMarkup } from "./escape";

/** Markup that is already safe; every other cell value is escaped. */
export interface Html {
  html: string;
}
export type Cell = string | number | undefined | Html;

export const html = (markup: string): Html => ({ html: markup });
export const esc = escapeMarkup;

/** Integers in full; fractions to one decimal from 100 up, else to three significant digits (0.0305 stays). */
export function num(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return "–";
  if (Number.isInteger(n)) return n.toLocaleString("en-US");
  return Math.abs(n) >= 100 ? n.toFixed(1) : String(Number(n.toPrecision(3)));
}

export const seconds = (n: number | undefined) => (n === undefined ? "–" : `${num(n)} s`);

export function badge(ok: boolean, yes = "passed", no = "failed"): Html {
  return html(`<span class="badge ${ok ? "ok" : "bad"}">${esc(ok ? yes : no)}</span>`);
}

export function cell(c: Cell): string {
  if (c === undefined) return "–";
  if (typeof c === "object") return c.html;
  return esc(typeof c === "number" ? num(c) : c);
}

export function table(id: string, headers: string[], rows: Cell[][]): string {
  const head = headers.map((h) => `<th>${esc(h)}</th>`).join("");
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${cell(c)}</td>`).join("")}</tr>`).join("\n");
  return `<table id="${escapeAttribute(id)}"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

export const missing = (what: string) => `<p class="missing">${esc(what)}</p>`;
