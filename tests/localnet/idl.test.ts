// The committed TypeScript IDL type must be the one generated from the committed IDL JSON (the JSON
// itself is checked against the program by `cargo test -p idl-gen`).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
// @ts-expect-error plain ESM helper without type declarations
import { idlTypeScript } from "../../scripts/idl-types.mjs";

describe("generated IDL types", () => {
  it("idl/margin.ts matches idl/margin.json", () => {
    const idl = JSON.parse(readFileSync(new URL("../../idl/margin.json", import.meta.url), "utf8"));
    const committed = readFileSync(new URL("../../idl/margin.ts", import.meta.url), "utf8");
    expect(committed).toBe(idlTypeScript(idl));
  });

  it("names every instruction of the program in camelCase", () => {
    const committed = readFileSync(new URL("../../idl/margin.ts", import.meta.url), "utf8");
    for (const name of ["initializeExchange", "createMarginAccount", "deposit", "withdraw"]) {
      expect(committed).toContain(`"name": "${name}"`);
    }
  });
});
