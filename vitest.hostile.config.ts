// `npm run test:hostile`: the localnet attacked while its latency is measured, with no other suite
// running beside it.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/hostile/**/*.test.ts"],
    pool: "forks",
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
