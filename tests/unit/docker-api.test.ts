import { describe, expect, it } from "vitest";
import { demultiplex } from "../../lib/docker-api";

const frame = (stream: number, text: string) => {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
};

describe("demultiplex", () => {
  it("joins stdout and stderr frames in order and drops the headers", () => {
    expect(demultiplex(Buffer.concat([frame(1, "out 1\n"), frame(2, "err\n"), frame(1, "out 2\n")]))).toBe("out 1\nerr\nout 2\n");
  });
  it("ignores a truncated trailing header", () => {
    expect(demultiplex(Buffer.concat([frame(1, "x"), Buffer.from([1, 0, 0])]))).toBe("x");
  });
});
