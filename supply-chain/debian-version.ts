// Debian's version ordering (deb-version(7), as `dpkg --compare-versions` implements it): [epoch:]upstream[-revision];
// epochs compare as numbers, the rest piece by piece, alternating non-digit runs (where '~' sorts before
// anything, even the end, and letters before other characters) and digit runs (as numbers).

function order(c: string | undefined): number {
  if (c === undefined) return 0;
  if (c === "~") return -1;
  if (/[0-9]/.test(c)) return 0;
  if (/[A-Za-z]/.test(c)) return c.charCodeAt(0);
  return c.charCodeAt(0) + 256;
}

function comparePart(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    // The non-digit run, character by character.
    while ((i < a.length && !/[0-9]/.test(a[i]!)) || (j < b.length && !/[0-9]/.test(b[j]!))) {
      const ac = i < a.length && !/[0-9]/.test(a[i]!) ? a[i] : undefined;
      const bc = j < b.length && !/[0-9]/.test(b[j]!) ? b[j] : undefined;
      const diff = order(ac) - order(bc);
      if (diff !== 0) return diff;
      if (ac !== undefined) i++;
      if (bc !== undefined) j++;
    }
    // The digit run, as a number (leading zeros do not count).
    let an = "";
    let bn = "";
    while (i < a.length && /[0-9]/.test(a[i]!)) an += a[i++];
    while (j < b.length && /[0-9]/.test(b[j]!)) bn += b[j++];
    const na = an.replace(/^0+/, "");
    const nb = bn.replace(/^0+/, "");
    if (na.length !== nb.length) return na.length - nb.length;
    if (na !== nb) return na < nb ? -1 : 1;
  }
  return 0;
}

export interface DebianVersion {
  epoch: number;
  upstream: string;
  revision: string;
}

export function parseDebianVersion(version: string): DebianVersion {
  const colon = version.indexOf(":");
  const epoch = colon > 0 && /^[0-9]+$/.test(version.slice(0, colon)) ? Number(version.slice(0, colon)) : 0;
  const rest = colon > 0 ? version.slice(colon + 1) : version;
  const dash = rest.lastIndexOf("-");
  return dash > 0 ? { epoch, upstream: rest.slice(0, dash), revision: rest.slice(dash + 1) } : { epoch, upstream: rest, revision: "" };
}

/** Negative when a is older than b, 0 when equal, positive when newer. */
export function compareDebianVersions(a: string, b: string): number {
  const x = parseDebianVersion(a);
  const y = parseDebianVersion(b);
  if (x.epoch !== y.epoch) return x.epoch - y.epoch;
  return comparePart(x.upstream, y.upstream) || comparePart(x.revision, y.revision);
}
