// A private Redis per test file: started in the file's beforeAll, stopped in its afterAll (REDIS_URL
// uses the given server instead and leaves it running). Connections opened through it are closed
// before the server stops, so a test file leaves no socket and no process behind.
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { startRedis } from "../../orchestrator/demo/redis.js";

export interface TestRedis {
  url: string;
  /** A connection as the orchestrator opens one (BullMQ workers need `maxRetriesPerRequest: null`). */
  connect(): Redis;
  /** A BullMQ prefix no other test uses, so tests never share a queue even on a shared server. */
  prefix(name: string): string;
  stop(): Promise<void>;
}

export async function startTestRedis(): Promise<TestRedis> {
  const server = await startRedis();
  const connections = new Set<Redis>();
  return {
    url: server.url,
    connect() {
      const r = new Redis(server.url, { maxRetriesPerRequest: null });
      connections.add(r);
      return r;
    },
    prefix: (name) => `mw-test-${name}-${randomUUID().slice(0, 8)}`,
    async stop() {
      await Promise.all([...connections].map((r) => r.quit().catch(() => r.disconnect())));
      connections.clear();
      await server.stop();
    },
  };
}
