// An orchestrator ended abruptly, in process, for the end-to-end tests: what a crash leaves behind.
import type { Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { ChainFeed } from "../../orchestrator/src/chain/feed.js";
import type { PubSub } from "../../orchestrator/src/chain/pubsub.js";
import type { StepRpc } from "../../orchestrator/src/chain/rpc.js";
import type { Orchestrator } from "../../orchestrator/src/orchestrator.js";
import type { Control } from "../../orchestrator/src/ops/control.js";
import type { HttpServer } from "../../orchestrator/src/ops/http.js";

/**
 * Abrupt end, as a crash or `kill -9` would leave things: workers drop their jobs
 * mid-flight, nothing is flushed. Another orchestrator must finish the work without repeating it.
 */
export async function killOrchestrator(o: Orchestrator): Promise<void> {
  const self = o as unknown as {
    workers: Worker[];
    timers: NodeJS.Timeout[];
    redis: Redis;
    feed: ChainFeed;
    http?: HttpServer;
    control: Control;
    stopping: Promise<void> | null;
    pubsub?: PubSub;
    stepRpc?: StepRpc;
  };
  self.stopping = Promise.resolve();
  for (const t of self.timers) clearInterval(t);
  o.supervisor.stopAll();
  await self.feed.stop();
  self.control.stop();
  await Promise.all(self.workers.map((w) => w.close(true)));
  self.redis.disconnect();
  self.pubsub?.close();
  self.stepRpc?.close();
  await self.http?.close();
  const socket = (o.connection as unknown as { _rpcWebSocket?: { close(): void; reconnect?: boolean } })._rpcWebSocket;
  if (socket) {
    socket.reconnect = false;
    socket.close();
  }
}
