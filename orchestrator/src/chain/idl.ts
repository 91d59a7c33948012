// The program's IDL, generated from the Rust source (`npm run idl`), as the single description of
// account layouts the orchestrator decodes and instructions it builds.
import { readFileSync } from "node:fs";
import type { Margin } from "../../../idl/margin.js";

export const IDL = JSON.parse(readFileSync(new URL("../../../idl/margin.json", import.meta.url), "utf8")) as Margin;
export type { Margin };
