// Forked by bench.ts: sends the transactions it is given as JSON-RPC sendTransaction requests from
// `concurrency` clients over keep-alive HTTP, so the clients' work does not run on the server's
// thread. Replies with the elapsed seconds.
import http from "node:http";

export interface ClientsJob {
  rpcUrl: string;
  concurrency: number;
  /** Base64 wire transactions. */
  transactions: string[];
}

export type ClientsResult = { seconds: number } | { error: string };

function post(agent: http.Agent, url: URL, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: "POST", agent, headers: { "content-type": "application/json" } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function run({ rpcUrl, concurrency, transactions }: ClientsJob): Promise<number> {
  const url = new URL(rpcUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  let next = 0;
  const client = async () => {
    while (next < transactions.length) {
      const i = next++;
      const body = JSON.stringify({
        jsonrpc: "2.0",
        id: i,
        method: "sendTransaction",
        params: [transactions[i], { encoding: "base64", skipPreflight: false, preflightCommitment: "confirmed" }],
      });
      const reply = JSON.parse(await post(agent, url, body));
      if (reply.error) throw new Error(`sendTransaction failed: ${JSON.stringify(reply.error)}`);
    }
  };
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, client));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  agent.destroy();
  return seconds;
}

process.once("message", (job: ClientsJob) => {
  run(job).then(
    (seconds) => process.send!({ seconds } satisfies ClientsResult, () => process.exit(0)),
    (e: Error) => process.send!({ error: e.message } satisfies ClientsResult, () => process.exit(1)),
  );
});
