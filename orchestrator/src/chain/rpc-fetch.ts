// web3.js's Connection over the endpoint pools: its `fetch` option gets a function that sends each
// request body through RpcEndpoints, so the calls made through Connection (the feed's full load,
// blockhashes, fees, simulations, balances, signature statuses) fail over like the lean calls of
// chain/rpc.ts, and a sendTransaction made through it (the liquidator token account's creation
// at start) goes to every send endpoint. web3.js reads only the status and text of the Response.
import { Connection } from "@solana/web3.js";
import { type Endpoint, EndpointFailure, RpcError } from "./endpoint.js";
import { replyError, type RpcEndpoints } from "./endpoints.js";

/** Longer replies are taken as results: errors are short, and parsing a big getProgramAccounts answer twice is not. */
const ERROR_SCAN_LIMIT = 64 * 1024;

/** A JSON-RPC error answer with the reply's text, handed to web3.js as it came. */
class Answered extends RpcError {
  constructor(
    readonly text: string,
    error: RpcError,
  ) {
    super(error.code, error.message, error.data);
  }
}

type Reply = { error?: { code: number; message: string; data?: unknown } };

function methodOf(body: string): string {
  try {
    const request = JSON.parse(body) as { method?: unknown } | unknown[];
    if (Array.isArray(request)) return "batch";
    return typeof request.method === "string" ? request.method : "unknown";
  } catch {
    return "unknown";
  }
}

export function endpointFetch(endpoints: RpcEndpoints, role: "read" | "confirm"): typeof fetch {
  return async (_input, init) => {
    const body = init?.body;
    if (typeof body !== "string") throw new Error("RPC request without a JSON body");
    const method = methodOf(body);
    const attempt = async (e: Endpoint): Promise<string> => {
      const text = await e.post(body, endpoints.timeoutFor(method));
      if (text.length > ERROR_SCAN_LIMIT) return text;
      let reply: Reply | unknown[];
      try {
        reply = JSON.parse(text);
      } catch {
        throw new EndpointFailure(e.label, "bad-reply", `${method}: the answer is not JSON`);
      }
      const error = Array.isArray(reply) ? undefined : reply.error;
      if (error) {
        const err = replyError(e, method, error);
        throw err instanceof RpcError ? new Answered(text, err) : err;
      }
      return text;
    };
    let text: string;
    try {
      text =
        method === "sendTransaction"
          ? await endpoints.fanOut(method, attempt)
          : await endpoints.failover(role, method, attempt);
    } catch (e) {
      if (!(e instanceof Answered)) throw e;
      text = e.text;
    }
    return new Response(text, { status: 200, headers: { "content-type": "application/json" } });
  };
}

/** A Connection whose HTTP calls go through the role's endpoints; its websocket is `wsUrl`. */
export function endpointConnection(endpoints: RpcEndpoints, role: "read" | "confirm", wsUrl: string): Connection {
  const first = endpoints.of(role)[0];
  return new Connection(first.url.href, {
    commitment: "confirmed",
    wsEndpoint: wsUrl,
    fetch: endpointFetch(endpoints, role),
    httpAgent: false,
  });
}
