import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    // The native runtime's syscall table is process-wide: one localnet per process.
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
