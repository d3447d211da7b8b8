// The verifier against RFC 7677's SCRAM-SHA-256 exchange (section 3): the server's signature and the client's
// proof in that example can only be checked with the right ServerKey and StoredKey.
import { createHash, createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { scramVerifier } from "../../lib/scram";

const nonce = "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
const authMessage = `n=user,r=rOprNGfwEbeRWgbNEkqO,r=${nonce},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,c=biws,r=${nonce}`;

describe("the SCRAM-SHA-256 verifier", () => {
  it("matches RFC 7677's example (password pencil)", () => {
    const v = scramVerifier("pencil", Buffer.from("W22ZaJ0SNY7soEsUEjb6gQ==", "base64"));
    const m = /^SCRAM-SHA-256\$4096:W22ZaJ0SNY7soEsUEjb6gQ==\$([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)$/.exec(v);
    expect(m, v).not.toBeNull();
    const [storedKey, serverKey] = [Buffer.from(m![1]!, "base64"), Buffer.from(m![2]!, "base64")];
    expect(createHmac("sha256", serverKey).update(authMessage).digest("base64")).toBe("6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
    const proof = Buffer.from("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=", "base64");
    const signature = createHmac("sha256", storedKey).update(authMessage).digest();
    const clientKey = Buffer.from(proof.map((b, i) => b ^ signature[i]!));
    expect(createHash("sha256").update(clientKey).digest().equals(storedKey)).toBe(true);
  });

  it("draws a new salt each time and refuses what SASLprep would change", () => {
    expect(scramVerifier("pencil")).not.toBe(scramVerifier("pencil"));
    expect(() => scramVerifier("pässword")).toThrow(/printable ASCII/);
  });
});
