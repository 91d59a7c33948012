import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    // Timed against a limit: run alone by `npm run test:hostile` (vitest.hostile.config.ts).
    exclude: [...configDefaults.exclude, "tests/hostile/**"],
    // The native runtime's syscall table is process-wide: one localnet per process.
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
